/** The in-pod sidecar runtime (filled in by the next commit). */
import type { Logger } from 'pino';
import type { InPodConfig } from '../config.js';
import type { SidecarMetrics } from '../enforcement/metrics.js';
import type { SidecarRuntime } from './runtime.js';

export function inPodRuntime(
  _config: InPodConfig,
  _metrics: SidecarMetrics,
  _log: Logger,
): Promise<SidecarRuntime> {
  return Promise.reject(new Error('the in-pod sidecar config is not supported by this build yet'));
}
