/**
 * What the sidecar process runs, whichever config form it was given: the policy bundle, the
 * approver, the recorder, the identity verifier, and one listener plan per connection. The
 * standalone form builds it from files (standalone.ts), the in-pod form from the control plane
 * (in-pod.ts); main.ts starts the same listeners through the registry either way.
 */
import type { ListenerSpec } from '../adapters/protocol-adapter.js';
import type { ConnectionType } from '../adapters/registry.js';
import type { Identity } from '../core/command.js';
import type { Approver } from '../enforcement/approver.js';
import type { BundleSource } from '../enforcement/policy-bundle.js';
import type { SessionRecorder } from '../enforcement/recorder.js';
import type { TokenVerifier } from '../identity/token-verifier.js';
import type { ClientFile } from './client-file.js';

export interface ListenerPlan extends ListenerSpec {
  type: ConnectionType;
}

export interface SidecarRuntime {
  bundle: BundleSource;
  approver: Approver;
  recorder: SessionRecorder;
  verifier: TokenVerifier;
  workloadIdentity?: Identity;
  listeners: ListenerPlan[];
  metrics?: { host: string; port: number };
  /**
   * The agent's client files (kubeconfig, known_hosts, ssh_config) to write, in order, once every
   * listener serves and before `/readyz` can pass (the kubelet starts app containers only after the
   * native sidecar's startup probe): in-pod env mode only.
   */
  clientFiles?: ClientFile[];
  /** Why the sidecar is not ready (for `/readyz`), or undefined when it is. */
  notReady(): string | undefined;
  /** Stops background work (watches, shipping), shipping what it can within `drainMs`. */
  close(drainMs: number): Promise<void>;
}
