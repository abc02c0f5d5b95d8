/**
 * The sidecar as a native sidecar (an init container with `restartPolicy: Always`, Kubernetes
 * 1.29+): it starts, and passes its startup probe, before any app container, and it keeps running
 * alongside them — so the agent's first connection already finds the proxy listening.
 */
import {
  CONFIG_DIR,
  CONFIG_VOLUME,
  CLIENT_CONFIG_DIR,
  CLIENT_CONFIG_VOLUME,
  SIDECAR_CONFIG_FILE,
  SIDECAR_CONTAINER,
  SPOOL_DIR,
  SPOOL_VOLUME,
  TOKEN_DIR,
  TOKEN_VOLUME,
} from './constants.js';
import type { InjectionConfig } from './injection-config.js';
import type { Container } from './pod.js';

/** Port name for the sidecar's metrics (15 characters at most, IANA_SVC_NAME). */
export const METRICS_PORT_NAME = 'cg-metrics';

/**
 * The sidecar container: non-root, read-only root filesystem, no capabilities, probed on `/readyz`.
 * `/readyz` answers 200 only once the first policy bundle is in force and, `withClientConfig`, the
 * agent's client files (kubeconfig, ssh_config, known_hosts) are written; the kubelet starts app
 * containers only after a native sidecar's startup probe passed, so the agent's kubectl or ssh
 * never finds them missing. The sidecar alone mounts the client config volume read-write.
 */
export function sidecarContainer(config: InjectionConfig, withClientConfig = false): Container {
  const probe = () => ({ httpGet: { path: '/readyz', port: config.metricsPort } });
  return {
    name: SIDECAR_CONTAINER,
    image: config.sidecarImage,
    ...(config.imagePullPolicy !== undefined ? { imagePullPolicy: config.imagePullPolicy } : {}),
    args: ['--config', `${CONFIG_DIR}/${SIDECAR_CONFIG_FILE}`],
    restartPolicy: 'Always',
    ports: [{ name: METRICS_PORT_NAME, containerPort: config.metricsPort, protocol: 'TCP' }],
    resources: structuredClone(config.resources),
    securityContext: {
      runAsUser: config.runAsUser,
      runAsGroup: config.runAsUser,
      runAsNonRoot: true,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      privileged: false,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    },
    startupProbe: { ...probe(), periodSeconds: 1, failureThreshold: 120 },
    readinessProbe: { ...probe(), periodSeconds: 5, failureThreshold: 3 },
    volumeMounts: [
      { name: CONFIG_VOLUME, mountPath: CONFIG_DIR, readOnly: true },
      { name: TOKEN_VOLUME, mountPath: TOKEN_DIR, readOnly: true },
      { name: SPOOL_VOLUME, mountPath: SPOOL_DIR },
      ...(withClientConfig ? [{ name: CLIENT_CONFIG_VOLUME, mountPath: CLIENT_CONFIG_DIR }] : []),
    ],
  };
}
