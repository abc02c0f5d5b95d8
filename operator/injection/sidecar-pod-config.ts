/**
 * The sidecar's config as the injector writes it into a pod (annotation
 * `crewgate.dev/sidecar-config`, mounted at `/etc/crewgate/sidecar.yaml` by a downwardAPI volume).
 * It holds no secret and no target address: only which connections to listen for and where the
 * control plane is. Everything else — policies, masking rules, the target, credentials — the sidecar
 * fetches from the control plane with its projected token, so a Connection or policy edit reaches
 * running pods without restarting them.
 *
 * `sidecar/config.ts` must accept this shape (it is told apart from a standalone config by
 * `kind: InPodSidecarConfig`).
 */
import { stringify } from 'yaml';
import { z } from 'zod';
import { API_VERSION, resourceName } from '../../crds/schemas/common.js';
import { connectionType } from '../../crds/schemas/connection.js';
import {
  CONFIG_DIR,
  CONTROL_PLANE_CA_FILE,
  CLIENT_CONFIG_DIR,
  KNOWN_HOSTS_FILE,
  KUBECONFIG_FILE,
  LOOPBACK,
  SPOOL_DIR,
  SSH_CONFIG_FILE,
  TOKEN_DIR,
  TOKEN_FILE,
} from './constants.js';
import { writesKubeconfig, writesSshConfig } from './client-config.js';
import type { InjectionConfig } from './injection-config.js';
import type { Listener } from './listen-ports.js';

const port = z.number().int().min(1).max(65535);

export const sidecarPodConfigSchema = z.strictObject({
  apiVersion: z.literal(API_VERSION),
  kind: z.literal('InPodSidecarConfig'),
  /** How clients reach the sidecar; transparent mode means connections arrive redirected by iptables. */
  mode: z.enum(['env', 'transparent']),
  /** One loopback listener per connection the pod was granted, in annotation order. */
  connections: z
    .array(
      z.strictObject({
        name: resourceName,
        type: connectionType,
        listen: z.strictObject({ host: z.string().default(LOOPBACK), port }),
      }),
    )
    .min(1),
  /** Where the sidecar gets bundles, credentials and approvals, and how it proves who it is. */
  controlPlane: z.strictObject({
    url: z.url({ protocol: /^https?$/ }),
    /** The projected token with audience `crewgate`, refreshed by the kubelet: re-read on every use. */
    tokenFile: z.string().min(1),
    /** PEM CA bundle for the control plane's certificate; absent means the system trust store. */
    caFile: z.string().min(1).optional(),
  }),
  /**
   * env mode with a kubernetes connection: where the sidecar writes the kubeconfig (in the emptyDir
   * app containers mount read-only) once its TLS listeners serve, with the CA it generated at start.
   */
  kubeconfig: z.strictObject({ file: z.string().min(1) }).optional(),
  /**
   * env mode with an ssh connection: where the sidecar writes the agent's ssh_config (one `Host`
   * block per ssh connection) and the known_hosts it points at, holding the host key the sidecar
   * generated at start — so `ssh -F` pins the loopback hop from the first connection.
   */
  sshConfig: z.strictObject({ file: z.string().min(1), knownHostsFile: z.string().min(1) }).optional(),
  /** Recording events are appended under this emptyDir before anything else. */
  recording: z.strictObject({ spoolDir: z.string().min(1) }),
  /** `/metrics`, `/healthz`, `/readyz`; on the pod IP because the kubelet probes it there. */
  metrics: z.strictObject({ host: z.string().default('0.0.0.0'), port }),
});

export type SidecarPodConfig = z.infer<typeof sidecarPodConfigSchema>;

/** The config for a pod's listeners. */
export function buildSidecarPodConfig(
  listeners: readonly Listener[],
  config: InjectionConfig,
): SidecarPodConfig {
  return {
    apiVersion: API_VERSION,
    kind: 'InPodSidecarConfig',
    mode: config.mode,
    connections: listeners.map((l) => ({
      name: l.name,
      type: l.type,
      listen: { host: LOOPBACK, port: l.listenPort },
    })),
    controlPlane: {
      url: config.controlPlaneUrl,
      tokenFile: `${TOKEN_DIR}/${TOKEN_FILE}`,
      ...(config.controlPlaneCaBundle !== undefined
        ? { caFile: `${CONFIG_DIR}/${CONTROL_PLANE_CA_FILE}` }
        : {}),
    },
    ...(writesKubeconfig(config.mode, listeners)
      ? { kubeconfig: { file: `${CLIENT_CONFIG_DIR}/${KUBECONFIG_FILE}` } }
      : {}),
    ...(writesSshConfig(config.mode, listeners)
      ? {
          sshConfig: {
            file: `${CLIENT_CONFIG_DIR}/${SSH_CONFIG_FILE}`,
            knownHostsFile: `${CLIENT_CONFIG_DIR}/${KNOWN_HOSTS_FILE}`,
          },
        }
      : {}),
    recording: { spoolDir: SPOOL_DIR },
    metrics: { host: '0.0.0.0', port: config.metricsPort },
  };
}

/** The YAML text put into the annotation; stable key order so goldens stay readable. */
export function renderSidecarPodConfig(value: SidecarPodConfig): string {
  return stringify(sidecarPodConfigSchema.parse(value), { lineWidth: 0 });
}
