/**
 * Which pods get the client config volume (constants.ts CLIENT_CONFIG_VOLUME): env mode with a
 * connection whose loopback hop the agent's client must pin to a key the sidecar generates at start
 * — kubernetes (the serving certificate's CA, in the kubeconfig) or ssh (the host key, in
 * known_hosts). The injector, its verifier and the sidecar config builder must agree on it.
 */
import type { InjectionConfig } from './injection-config.js';
import type { Listener } from './listen-ports.js';

export function writesKubeconfig(mode: InjectionConfig['mode'], listeners: readonly Listener[]): boolean {
  return mode === 'env' && listeners.some((l) => l.type === 'kubernetes');
}

export function writesSshConfig(mode: InjectionConfig['mode'], listeners: readonly Listener[]): boolean {
  return mode === 'env' && listeners.some((l) => l.type === 'ssh');
}

export function needsClientConfig(mode: InjectionConfig['mode'], listeners: readonly Listener[]): boolean {
  return writesKubeconfig(mode, listeners) || writesSshConfig(mode, listeners);
}
