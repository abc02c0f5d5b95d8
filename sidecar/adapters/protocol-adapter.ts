/**
 * What every protocol adapter offers the sidecar process (DESIGN.md §10, "engines behind one small
 * interface"): start a loopback listener for one Connection and stop it. The process keeps an
 * explicit map of adapters keyed by protocol (`registry.ts`); there is no global registration.
 *
 * An adapter never reads files or the control plane itself: it is handed a `target()` resolver
 * that returns the Connection's spec and credentials for one session, so a standalone sidecar
 * (files) and an in-pod sidecar (the control plane) run the same adapter code, and a rotated
 * Secret or an edited Connection applies to the next session without a restart.
 */
import type { Logger } from 'pino';
import type { ConnectionSpec } from '../../crds/schemas/connection.js';
import type { Identity, Protocol } from '../core/command.js';
import type { Approver } from '../enforcement/approver.js';
import type { Enforcer } from '../enforcement/enforcer.js';
import type { SidecarMetrics } from '../enforcement/metrics.js';
import type { SessionRecorder } from '../enforcement/recorder.js';
import type { TokenVerifier } from '../identity/token-verifier.js';

/** The process-wide services every adapter uses; passed in, never imported as globals. */
export interface AdapterDeps {
  enforcer: Enforcer;
  verifier: Pick<TokenVerifier, 'verify'>;
  recorder: SessionRecorder;
  metrics: SidecarMetrics;
  logger: Logger;
  /** The pod's identity, used when a client presents no token of its own. */
  workloadIdentity?: Identity;
  /** Already inside `enforcer`; exposed for adapters that hold a protocol-level wait (SSH, exec). */
  approver?: Approver;
}

/** The Connection Secret's keys for one session (`username`/`password`, `token`, `privateKey`, ...). */
export type Credentials = Readonly<Record<string, string>>;

/** How to reach the target for one session: resolved when the session starts, held in memory only. */
export interface ResolvedTarget {
  /** The Connection's spec as the control plane sends it (no `credentialsRef`). */
  spec: Omit<ConnectionSpec, 'credentialsRef'>;
  credentials: Credentials;
  /** PEM CA certificates that `spec.tls` trusts; absent means the system trust store. */
  caCertificates?: string[];
}

export interface ListenerSpec {
  /** Name of the Connection this listener serves. */
  connection: string;
  listen: { host: string; port: number };
  /** Asked at every session start; a rejection ends that session with a protocol-native error. */
  target: () => Promise<ResolvedTarget>;
  /**
   * Adapter-specific listener settings (serving certificate, host key, size bounds), validated by
   * the adapter's own zod schema at start-up; `undefined` means the adapter's defaults.
   */
  options?: unknown;
}

export interface RunningListener {
  /** The bound port (the spec may ask for 0). */
  readonly port: number;
  close(): Promise<void>;
}

export interface ProtocolAdapter {
  readonly protocol: Protocol;
  start(listener: ListenerSpec, deps: AdapterDeps): Promise<RunningListener>;
}
