/**
 * The sidecar's configuration, one file (YAML or JSON) given with `--config`. Two forms:
 *
 * - `kind: InPodSidecarConfig` — what the injector writes into a pod (schema in
 *   operator/injection/sidecar-pod-config.ts): listeners and the control plane only; the sidecar
 *   takes targets, policies, credentials, issuers and the recording store from the control plane.
 * - standalone (no `kind`) — the demo, benchmarks and tests outside a cluster: everything in files.
 *   Each connection is a generic entry `{ name, type, listen, target, credentials, caFile?, options? }`
 *   that works for every type in sidecar/adapters/registry.ts; the older postgres form
 *   (`upstream`, `credentials.passwordFile`, `clientTls`) is converted to it in `fromLegacyPostgres`.
 *
 * zod validates at start-up, so a bad file stops the sidecar with the field that is wrong instead
 * of running with a guess.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { z } from 'zod';
import { connectionSpec, type ConnectionSpec } from '../crds/schemas/connection.js';
import { sidecarPodConfigSchema, type SidecarPodConfig } from '../operator/injection/sidecar-pod-config.js';
import { adapterFor, supportedTypes } from './adapters/registry.js';

const tlsFiles = z.strictObject({
  mode: z.enum(['disable', 'require', 'verify-full']).default('verify-full'),
  caFile: z.string().optional(),
  serverName: z.string().optional(),
});

const listen = z.strictObject({
  host: z.string().default('127.0.0.1'),
  port: z.number().int().min(0).max(65535),
});

/** A credential value: read from a file at every session start (a rotated file applies at once), or inline. */
const credentialSource = z.union([
  z.strictObject({ file: z.string().min(1) }),
  z.strictObject({ value: z.string() }),
]);
export type CredentialSource = z.infer<typeof credentialSource>;

/** Older postgres-only form, kept so existing configs (demo, benchmarks) keep working. */
const legacyPostgresConnection = z.strictObject({
  name: z.string().min(1),
  type: z.literal('postgres'),
  listen,
  upstream: z.strictObject({
    host: z.string(),
    port: z.number().int(),
    database: z.string(),
    tls: tlsFiles.default({ mode: 'verify-full' }),
  }),
  credentials: z.strictObject({
    usernameFile: z.string().optional(),
    username: z.string().optional(),
    passwordFile: z.string(),
  }),
  clientTls: z
    .strictObject({ certFile: z.string(), keyFile: z.string(), require: z.boolean().default(false) })
    .optional(),
  maxMessageBytes: z.number().int().positive().optional(),
});

/** The Connection spec as a standalone sidecar is given it: no Secret (credentials below) and the type once, outside. */
const targetSpec = connectionSpec.omit({ credentialsRef: true, type: true });

const genericConnection = z.strictObject({
  name: z.string().min(1),
  /** Checked against the registry after parsing, so the message can list what this build supports. */
  type: z.string().min(1),
  listen,
  target: targetSpec,
  /** The Connection Secret's keys (`username`/`password`, `token`, `privateKey`, `header`). */
  credentials: z.record(z.string().min(1), credentialSource),
  /** PEM CA bundle the target's TLS trusts (the standalone stand-in for `spec.tls.caRef`). */
  caFile: z.string().optional(),
  /**
   * Adapter-specific listener settings, validated by the adapter's schema. Any `{ file: PATH }`
   * inside is replaced by that file's content first, so PEMs can live in files.
   */
  options: z.unknown().optional(),
});

const issuerConfig = z.strictObject({
  issuer: z.string().url(),
  audiences: z.array(z.string()).min(1),
  kind: z.enum(['oidc', 'kubernetes']).default('oidc'),
  caFile: z.string().optional(),
  groupsClaim: z.string().optional(),
  clockSkewSeconds: z.number().int().min(0).max(300).optional(),
});

export const standaloneConfigSchema = z.strictObject({
  identity: z.strictObject({
    issuers: z.array(issuerConfig).default([]),
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
  connections: z.array(z.union([legacyPostgresConnection, genericConnection])).min(1),
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
  metrics: listen.optional(),
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

/** One listener of a standalone sidecar, in the one form every protocol uses. */
export interface StandaloneConnection {
  name: string;
  type: ConnectionSpec['type'];
  listen: { host: string; port: number };
  target: Omit<ConnectionSpec, 'credentialsRef'>;
  credentials: Record<string, CredentialSource>;
  caFile?: string;
  /** Validated by the adapter's schema, `{ file }` references resolved. */
  options?: unknown;
}

type RawStandalone = z.infer<typeof standaloneConfigSchema>;
export type StandaloneConfig = Omit<RawStandalone, 'connections'> & {
  kind: 'Standalone';
  connections: StandaloneConnection[];
};
export type InPodConfig = SidecarPodConfig;
export type SidecarConfig = StandaloneConfig | InPodConfig;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

type LegacyPostgres = z.infer<typeof legacyPostgresConnection>;
type Generic = z.infer<typeof genericConnection>;

/** The one place the older postgres form becomes the generic one. */
export function fromLegacyPostgres(c: LegacyPostgres): Generic {
  const host = c.upstream.host.includes(':') ? `[${c.upstream.host}]` : c.upstream.host;
  const options: Record<string, unknown> = {};
  if (c.clientTls) {
    options.clientTls = {
      certificatePem: { file: c.clientTls.certFile },
      privateKeyPem: { file: c.clientTls.keyFile },
    };
    options.requireTls = c.clientTls.require;
  }
  if (c.maxMessageBytes !== undefined) options.maxMessageBytes = c.maxMessageBytes;
  return {
    name: c.name,
    type: 'postgres',
    listen: c.listen,
    target: {
      address: `${host}:${c.upstream.port}`,
      database: c.upstream.database,
      tls: {
        mode: c.upstream.tls.mode,
        ...(c.upstream.tls.serverName ? { serverName: c.upstream.tls.serverName } : {}),
      },
    },
    credentials: {
      username:
        c.credentials.username !== undefined
          ? { value: c.credentials.username }
          : c.credentials.usernameFile !== undefined
            ? { file: c.credentials.usernameFile }
            : { value: '' },
      password: { file: c.credentials.passwordFile },
    },
    ...(c.upstream.tls.caFile ? { caFile: c.upstream.tls.caFile } : {}),
    ...(Object.keys(options).length > 0 ? { options } : {}),
  };
}

/** Replaces every `{ file: PATH }` object inside `value` with the file's text. */
export function resolveFileReferences(value: unknown, where: string): unknown {
  if (Array.isArray(value)) return value.map((v, i) => resolveFileReferences(v, `${where}.${i}`));
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 1 && entries[0]![0] === 'file' && typeof entries[0]![1] === 'string') {
    try {
      return readFileSync(entries[0]![1], 'utf8');
    } catch (error) {
      throw new ConfigError(`${where}: cannot read ${entries[0]![1]}: ${(error as Error).message}`);
    }
  }
  return Object.fromEntries(entries.map(([k, v]) => [k, resolveFileReferences(v, `${where}.${k}`)]));
}

const issues = (error: z.ZodError) =>
  error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');

function normaliseConnection(
  raw: LegacyPostgres | Generic,
  index: number,
  path: string,
): StandaloneConnection {
  const c = 'upstream' in raw ? fromLegacyPostgres(raw) : raw;
  const where = `connections.${index}`;
  const registered = adapterFor(c.type);
  if (!registered) {
    throw new ConfigError(
      `invalid sidecar config ${path}: ${where}.type: unknown connection type ${JSON.stringify(c.type)} (this sidecar supports ${supportedTypes().join(', ')})`,
    );
  }
  if (c.target.tls?.caRef) {
    throw new ConfigError(
      `invalid sidecar config ${path}: ${where}.target.tls.caRef: a standalone sidecar reads no Secrets; give the CA with caFile`,
    );
  }
  const options = registered.options.safeParse(resolveFileReferences(c.options ?? {}, `${where}.options`));
  if (!options.success)
    throw new ConfigError(`invalid sidecar config ${path}: ${where}.options: ${issues(options.error)}`);
  return {
    name: c.name,
    type: c.type as ConnectionSpec['type'],
    listen: c.listen,
    target: { type: c.type as ConnectionSpec['type'], ...c.target },
    credentials: c.credentials,
    ...(c.caFile ? { caFile: c.caFile } : {}),
    options: options.data,
  };
}

function duplicates(names: string[]): string[] {
  return [...new Set(names.filter((n, i) => names.indexOf(n) !== i))];
}

/** Parses a config document of either form; `path` names it in errors. */
export function parseSidecarConfig(raw: unknown, path: string): SidecarConfig {
  if (raw !== null && typeof raw === 'object' && 'kind' in raw) {
    const result = sidecarPodConfigSchema.safeParse(raw);
    if (!result.success)
      throw new ConfigError(`invalid in-pod sidecar config ${path}: ${issues(result.error)}`);
    for (const [i, c] of result.data.connections.entries()) {
      if (!adapterFor(c.type))
        throw new ConfigError(
          `invalid in-pod sidecar config ${path}: connections.${i}.type: unknown connection type ${JSON.stringify(c.type)} (this sidecar supports ${supportedTypes().join(', ')})`,
        );
    }
    const dup = duplicates(result.data.connections.map((c) => c.name));
    if (dup.length)
      throw new ConfigError(`invalid in-pod sidecar config ${path}: connection ${dup[0]} listed twice`);
    return result.data;
  }
  const result = standaloneConfigSchema.safeParse(raw);
  if (!result.success) throw new ConfigError(`invalid sidecar config ${path}: ${issues(result.error)}`);
  const connections = result.data.connections.map((c, i) => normaliseConnection(c, i, path));
  const dup = duplicates(connections.map((c) => c.name));
  if (dup.length) throw new ConfigError(`invalid sidecar config ${path}: connection ${dup[0]} listed twice`);
  return { ...result.data, kind: 'Standalone', connections };
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
  return parseSidecarConfig(raw, path);
}
