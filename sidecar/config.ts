/**
 * The sidecar's configuration, one file (YAML or JSON) given with `--config`. The injector writes
 * it into the pod; a standalone sidecar (the demo, benchmarks) is given one by hand. zod validates
 * it at start-up, so a bad file stops the sidecar with the field that is wrong instead of running
 * with a guess.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { z } from 'zod';

const tlsFiles = z.strictObject({
  mode: z.enum(['disable', 'require', 'verify-full']).default('verify-full'),
  caFile: z.string().optional(),
  serverName: z.string().optional(),
});

/** Credentials for a standalone sidecar: files only the sidecar can read (the control plane replaces this in a pod). */
const credentialFiles = z.strictObject({
  usernameFile: z.string().optional(),
  username: z.string().optional(),
  passwordFile: z.string(),
});

const postgresConnection = z.strictObject({
  name: z.string().min(1),
  type: z.literal('postgres'),
  listen: z.strictObject({ host: z.string().default('127.0.0.1'), port: z.number().int().min(0).max(65535) }),
  upstream: z.strictObject({
    host: z.string(),
    port: z.number().int(),
    database: z.string(),
    tls: tlsFiles.default({ mode: 'verify-full' }),
  }),
  credentials: credentialFiles,
  clientTls: z
    .strictObject({ certFile: z.string(), keyFile: z.string(), require: z.boolean().default(false) })
    .optional(),
  maxMessageBytes: z.number().int().positive().optional(),
});

export const sidecarConfigSchema = z.strictObject({
  identity: z.strictObject({
    issuers: z
      .array(
        z.strictObject({
          issuer: z.string().url(),
          audiences: z.array(z.string()).min(1),
          kind: z.enum(['oidc', 'kubernetes']).default('oidc'),
          caFile: z.string().optional(),
          groupsClaim: z.string().optional(),
          clockSkewSeconds: z.number().int().min(0).max(300).optional(),
        }),
      )
      .default([]),
    /** The pod's identity, used when a client presents no token. */
    workload: z
      .strictObject({
        subject: z.string(),
        groups: z.array(z.string()).default([]),
        serviceAccount: z.string().optional(),
        pod: z.string().optional(),
      })
      .optional(),
  }),
  /** Standalone mode: AccessPolicy and MaskingRule manifests read from files. */
  policies: z.strictObject({ files: z.array(z.string()).min(1) }),
  connections: z.array(postgresConnection).min(1),
  /**
   * Where session events go before the command runs. `spoolDir` + `store` is the real thing
   * (sidecar/recording: spool, hash chain, shipping to the cluster store); `file` is the older
   * JSON-lines stand-in, kept for the demo and tests that read a file.
   */
  recording: z.union([
    z.strictObject({ file: z.string() }),
    z.strictObject({
      /** The pod's emptyDir. */
      spoolDir: z.string().min(1),
      /** Unshipped bytes at which new commands are refused (fail closed). */
      spoolMaxBytes: z
        .number()
        .int()
        .positive()
        .default(256 * 1024 * 1024),
      /**
       * `interval` (default): fdatasync every `intervalMs`, so a node crash loses at most that much
       * (a sidecar crash loses nothing either way); `always`: fdatasync every event (~0.4 ms each).
       */
      fsync: z.enum(['always', 'interval']).default('interval'),
      intervalMs: z.number().int().positive().max(60_000).default(100),
      store: z.strictObject({
        host: z.string(),
        port: z.number().int().min(1).max(65535).default(5432),
        database: z.string().default('crewgate_audit'),
        user: z.string(),
        passwordFile: z.string(),
        tls: tlsFiles.default({ mode: 'verify-full' }),
      }),
    }),
  ]),
  metrics: z
    .strictObject({ host: z.string().default('127.0.0.1'), port: z.number().int().min(0).max(65535) })
    .optional(),
  /**
   * Where RequireApproval commands are sent for review: the operator's sidecar API, authenticated
   * with the pod's projected token. Without it, such commands are refused.
   */
  approvals: z
    .strictObject({
      controlPlane: z.strictObject({
        url: z.string().url(),
        tokenFile: z.string(),
        caFile: z.string().optional(),
      }),
    })
    .optional(),
});

export type SidecarConfig = z.infer<typeof sidecarConfigSchema>;
export type PostgresConnectionConfig = z.infer<typeof postgresConnection>;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export function loadSidecarConfig(path: string): SidecarConfig {
  let raw: unknown;
  try {
    raw = parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ConfigError(
      `cannot read sidecar config ${path}: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  const result = sidecarConfigSchema.safeParse(raw);
  if (!result.success) {
    throw new ConfigError(
      `invalid sidecar config ${path}: ${result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`,
    );
  }
  return result.data;
}
