/**
 * The seam between the ordinary-request listener and the upgrade path (exec, attach,
 * port-forward). The listener owns the TCP connection, authenticates the caller and resolves the
 * target; from then on `handleUpgrade` (exec/handle-upgrade.ts) owns the socket: it judges the
 * request, speaks SPDY or WebSocket, relays and records. Keeping the hand-over this small lets the
 * two halves change independently.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import type { AdapterDeps } from '../adapters/protocol-adapter.js';
import type { Identity } from '../core/command.js';
import type { KubernetesUpstream } from './upstream.js';

export interface UpgradeInput {
  /** The upgrade request as Node parsed it; its `url` is the raw request-target, never normalised. */
  req: IncomingMessage;
  /** The client's socket, detached from the HTTP server; the handler must end or destroy it. */
  socket: Duplex;
  /** Bytes the client sent after the request head (the start of the upgraded stream). */
  head: Buffer;
  /** The verified caller (bearer token) or the pod's workload identity. */
  identity: Identity;
  /** Name of the Connection this listener serves. */
  connection: string;
  /**
   * Recorder session of this client connection. The listener has already recorded its
   * `session.start` and records `session.end` when the socket closes; the handler records the
   * `command`, `result` and terminal events under it.
   */
  session: string;
  /** The API server, with the Connection's credentials and the identity's impersonation headers. */
  upstream: KubernetesUpstream;
  deps: AdapterDeps;
  logger: Logger;
}
