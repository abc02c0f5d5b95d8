/**
 * The operator's settings, from flags or environment (the Helm chart sets the environment).
 * Validated at start-up: a bad value stops the operator with the setting that is wrong.
 */
import { hostname } from 'node:os';
import { z } from 'zod';

/**
 * An issuer whose tokens agents may present to sidecars; the control plane hands the list to every
 * in-pod sidecar (with the CA PEM read here), so trusting a new IdP is an operator setting.
 */
export const trustedIssuerSchema = z.strictObject({
  issuer: z.url(),
  audiences: z.array(z.string().min(1)).min(1),
  kind: z.enum(['oidc', 'kubernetes']).default('oidc'),
  groupsClaim: z.string().optional(),
  clockSkewSeconds: z.number().int().min(0).max(300).optional(),
  /** PEM file (a mounted ConfigMap) with the CA of the issuer's discovery and JWKS endpoints. */
  caFile: z.string().optional(),
});

/**
 * The recording store (DESIGN.md §7): where sidecars ship events, and the Secret (in the operator's
 * namespace) with the insert-only role's login (`sidecar-username`, `sidecar-password`) and,
 * when the operator should create the database, run the migrations and provision that role, an
 * administrator's (`admin-username`, `admin-password`). Without admin keys the store is managed
 * elsewhere and the operator only hands out the sidecar login.
 */
export const recordingStoreSchema = z.strictObject({
  host: z.string().min(1),
  port: z.number().int().min(1).max(65535).default(5432),
  database: z.string().min(1).default('crewgate_audit'),
  tls: z
    .strictObject({
      mode: z.enum(['disable', 'require', 'verify-full']).default('verify-full'),
      caFile: z.string().optional(),
      serverName: z.string().optional(),
    })
    .default({ mode: 'verify-full' }),
  secretName: z.string().min(1),
});
export type RecordingStoreSettings = z.infer<typeof recordingStoreSchema>;

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
  /**
   * Probe each Connection's target with a TCP connect and write its `Reachable` condition (re-checked
   * every `probeIntervalSeconds`). Off by default: an operator may run where targets are not visible.
   */
  probeConnections: z
    .enum(['true', 'false'])
    .default('false')
    .transform((v) => v === 'true'),
  probeIntervalSeconds: z.coerce.number().int().min(5).max(3600).default(60),
  /** Finished ApprovalRequests are deleted after this long. */
  approvalRetention: z.string().default('168h'),
  /** JSON list of trusted issuers (CREWGATE_OIDC_ISSUERS='[{"issuer":...,"audiences":[...]}]'). */
  oidcIssuers: z.array(trustedIssuerSchema).default([]),
  /** JSON object (CREWGATE_RECORDING_STORE); absent: in-pod sidecars refuse every command (nothing unrecorded runs). */
  recordingStore: recordingStoreSchema.optional(),
  mutatingWebhookConfigurations: z.array(z.string()).default(['crewgate-operator']),
  validatingWebhookConfigurations: z.array(z.string()).default(['crewgate-operator']),
});

export type OperatorConfig = z.infer<typeof operatorConfigSchema>;

const LIST_SETTINGS = new Set([
  'extraIpAddresses',
  'mutatingWebhookConfigurations',
  'validatingWebhookConfigurations',
]);

const JSON_SETTINGS = new Set(['oidcIssuers', 'recordingStore']);

/** `--flag value` or CREWGATE_FLAG; lists are comma-separated; structured settings are JSON. */
export function operatorConfigFrom(argv: string[], env: NodeJS.ProcessEnv): OperatorConfig {
  const raw: Record<string, unknown> = {};
  const keys = Object.keys(operatorConfigSchema.shape);
  const envName = (k: string) => `CREWGATE_${k.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;
  const flagName = (k: string) => `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
  for (const key of keys) {
    const i = argv.indexOf(flagName(key));
    const value = i >= 0 ? argv[i + 1] : env[envName(key)];
    if (value === undefined) continue;
    if (JSON_SETTINGS.has(key)) {
      try {
        raw[key] = JSON.parse(value);
      } catch (error) {
        throw new Error(`invalid operator settings: ${key}: not JSON: ${(error as Error).message}`, {
          cause: error,
        });
      }
      continue;
    }
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
