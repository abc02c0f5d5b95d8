/**
 * The operator's settings, from flags or environment (the Helm chart sets the environment).
 * Validated at start-up: a bad value stops the operator with the setting that is wrong.
 */
import { hostname } from 'node:os';
import { z } from 'zod';

export const operatorConfigSchema = z.strictObject({
  kubeconfig: z.string().optional(),
  namespace: z.string().default('crewgate-system'),
  serviceName: z.string().default('crewgate-operator'),
  identity: z.string().default(hostname()),
  webhookPort: z.coerce.number().int().min(0).max(65535).default(9443),
  sidecarApiPort: z.coerce.number().int().min(0).max(65535).default(8443),
  metricsPort: z.coerce.number().int().min(0).max(65535).default(8080),
  bindAddress: z.string().default('0.0.0.0'),
  /** Extra IP SANs for the serving certificate: an operator outside the cluster is called by IP. */
  extraIpAddresses: z.array(z.string()).default([]),
  sidecarImage: z.string().default('ghcr.io/crewgate/sidecar:0.1.0'),
  redirectImage: z.string().optional(),
  injectionMode: z.enum(['env', 'transparent']).default('env'),
  /** Where injected sidecars reach the control plane; defaults to the Service's DNS name. */
  controlPlaneUrl: z.string().optional(),
  /**
   * The username the API server sees for this operator (it alone may create ApprovalRequests).
   * Defaults to its service account; an operator run with another identity (the demo) says so here.
   */
  operatorUsername: z.string().optional(),
  /** Finished ApprovalRequests are deleted after this long. */
  approvalRetention: z.string().default('168h'),
  mutatingWebhookConfigurations: z.array(z.string()).default(['crewgate-operator']),
  validatingWebhookConfigurations: z.array(z.string()).default(['crewgate-operator']),
});

export type OperatorConfig = z.infer<typeof operatorConfigSchema>;

const LIST_SETTINGS = new Set([
  'extraIpAddresses',
  'mutatingWebhookConfigurations',
  'validatingWebhookConfigurations',
]);

/** `--flag value` or CREWGATE_FLAG; lists are comma-separated. */
export function operatorConfigFrom(argv: string[], env: NodeJS.ProcessEnv): OperatorConfig {
  const raw: Record<string, unknown> = {};
  const keys = Object.keys(operatorConfigSchema.shape);
  const envName = (k: string) => `CREWGATE_${k.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;
  const flagName = (k: string) => `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
  for (const key of keys) {
    const i = argv.indexOf(flagName(key));
    const value = i >= 0 ? argv[i + 1] : env[envName(key)];
    if (value === undefined) continue;
    raw[key] = LIST_SETTINGS.has(key)
      ? value
          .split(',')
          .map((v) => v.trim())
          .filter(Boolean)
      : value;
  }
  const parsed = operatorConfigSchema.safeParse(raw);
  if (!parsed.success) {
    throw new Error(
      `invalid operator settings: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  }
  return parsed.data;
}
