/**
 * The reachability probe of a Connection's target (issue 5: "optionally the target is reachable"):
 * a TCP connect with a deadline, nothing sent, so it proves the network path and a listener, not
 * the credentials (those are checked per session by the sidecar). Opt-in with the operator setting
 * `probeConnections`, since the operator may sit in a network that cannot see the targets.
 */
import { connect } from 'node:net';
import type { ConnectionSpec } from '../../crds/schemas/connection.js';
import { targetEndpoint } from './target-endpoint.js';

export interface Reachability {
  reachable: boolean;
  detail: string;
}

export type TargetProbe = (spec: Pick<ConnectionSpec, 'type' | 'address'>) => Promise<Reachability>;

export function tcpProbe(timeoutMs = 3_000): TargetProbe {
  return (spec) => {
    const endpoint = targetEndpoint(spec);
    if ('error' in endpoint) return Promise.resolve({ reachable: false, detail: endpoint.error });
    const where = `${endpoint.host}:${endpoint.port}`;
    return new Promise((resolve) => {
      const socket = connect({ host: endpoint.host, port: endpoint.port });
      const done = (result: Reachability) => {
        socket.destroy();
        resolve(result);
      };
      socket.setTimeout(timeoutMs, () =>
        done({ reachable: false, detail: `no answer from ${where} within ${timeoutMs} ms` }),
      );
      // No timing in the message: a message that changes on every probe would rewrite the status.
      socket.once('connect', () => done({ reachable: true, detail: `${where} accepts TCP connections` }));
      socket.once('error', (error: NodeJS.ErrnoException) =>
        done({ reachable: false, detail: `${where}: ${error.code ?? error.message}` }),
      );
    });
  };
}
