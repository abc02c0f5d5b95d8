/** What every request of one Kubernetes listener shares. */
import type { Logger } from 'pino';
import type { AdapterDeps, ListenerSpec } from '../adapters/protocol-adapter.js';
import type { ConnectionSessions } from './connection-sessions.js';
import type { UpstreamAgents } from './upstream.js';
import type { VerifiedTokens } from '../identity/verified-tokens.js';

export interface ListenerContext {
  connection: string;
  target: ListenerSpec['target'];
  deps: AdapterDeps;
  sessions: ConnectionSessions;
  agents: UpstreamAgents;
  /** Bearer tokens verified recently, reused until their expiry (at most a minute). */
  verifiedTokens: VerifiedTokens;
  log: Logger;
  /** Largest non-streaming JSON answer buffered for masking; larger ones are refused. */
  maxMaskedBodyBytes: number;
  /** Largest single watch event or log line masked. */
  maxMaskedLineBytes: number;
}
