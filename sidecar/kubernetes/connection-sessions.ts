/**
 * Recorder sessions of the Kubernetes listener: one per client TCP connection and identity.
 * kubectl sends a whole invocation's requests (discovery, the GET, the watch) over one
 * keep-alive connection, so a connection is the closest HTTP has to "a session"; a request on the
 * same connection with a different bearer token starts a session of its own, so no event is ever
 * recorded under someone else's identity. Every session ends when its connection closes.
 */
import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import type { Identity } from '../core/command.js';
import type { SidecarMetrics } from '../enforcement/metrics.js';
import type { SessionRecorder } from '../enforcement/recorder.js';

const identityKey = (i: Identity): string =>
  JSON.stringify([i.subject, i.issuer ?? '', [...i.groups].sort(), i.serviceAccount ?? '', i.pod ?? '']);

export class ConnectionSessions {
  private readonly byConnection = new WeakMap<Socket, Map<string, string>>();

  constructor(
    private readonly connection: string,
    private readonly recorder: SessionRecorder,
    private readonly metrics: SidecarMetrics,
  ) {}

  /** The session of `identity` on `socket`, started (and recorded) on first use. */
  sessionFor(socket: Socket, identity: Identity): string {
    let sessions = this.byConnection.get(socket);
    if (!sessions) {
      const created = new Map<string, string>();
      sessions = created;
      this.byConnection.set(socket, created);
      socket.once('close', () => {
        for (const id of created.values()) {
          this.recorder.record(id, { type: 'session.end', reason: 'the client closed the connection' });
          this.metrics.activeSessions.dec({ protocol: 'kubernetes' });
        }
        created.clear();
      });
    }
    const key = identityKey(identity);
    let id = sessions.get(key);
    if (id === undefined) {
      id = randomUUID();
      sessions.set(key, id);
      this.recorder.record(id, {
        type: 'session.start',
        identity,
        connection: this.connection,
        protocol: 'kubernetes',
        client: `${socket.remoteAddress}:${socket.remotePort}`,
      });
      this.metrics.activeSessions.inc({ protocol: 'kubernetes' });
    }
    return id;
  }
}
