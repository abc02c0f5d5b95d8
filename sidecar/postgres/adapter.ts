/**
 * The PostgreSQL protocol adapter: the sidecar process's one way in to `startPostgresListener`.
 * It translates a Connection (`spec.address`, `spec.database`, `spec.tls`, the Secret's
 * `username`/`password`) into the listener's per-session upstream target, so a standalone and an
 * in-pod sidecar differ only in where `listener.target()` gets its answer.
 */
import { z } from 'zod';
import type {
  AdapterDeps,
  ListenerSpec,
  ProtocolAdapter,
  ResolvedTarget,
  RunningListener,
} from '../adapters/protocol-adapter.js';
import { startPostgresListener } from './listener.js';
import type { UpstreamTarget } from './upstream.js';

/** Listener settings of a postgres connection; PEMs inline (the process resolves `{ file }` references). */
export const postgresListenerOptionsSchema = z.strictObject({
  /** Serving certificate for clients that ask for TLS (SSLRequest). */
  clientTls: z
    .strictObject({ certificatePem: z.string().min(1), privateKeyPem: z.string().min(1) })
    .optional(),
  /** Refuse clients that do not negotiate TLS. */
  requireTls: z.boolean().default(false),
  /** Largest frontend message accepted before the session is closed (the listener's default otherwise). */
  maxMessageBytes: z.number().int().positive().optional(),
});

export type PostgresListenerSettings = z.infer<typeof postgresListenerOptionsSchema>;

export class PostgresTargetError extends Error {
  override name = 'PostgresTargetError';
}

const DEFAULT_PORT = 5432;

/** `host:port`, `[v6]:port` or a bare host (port 5432). */
export function parseHostPort(address: string): { host: string; port: number } {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(address);
  const plain = /^([^:[\]]+)(?::(\d+))?$/.exec(address);
  const match = bracketed ?? plain;
  if (!match) throw new PostgresTargetError(`address ${JSON.stringify(address)} is not host:port`);
  const port = match[2] === undefined ? DEFAULT_PORT : Number(match[2]);
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new PostgresTargetError(`address ${JSON.stringify(address)} has no valid port`);
  return { host: match[1]!, port };
}

/** The upstream session target for one resolved Connection; throws when a field the protocol needs is missing. */
export function postgresUpstream(target: ResolvedTarget): UpstreamTarget {
  const { spec, credentials } = target;
  if (spec.type !== 'postgres')
    throw new PostgresTargetError(`connection is of type ${spec.type}, not postgres`);
  if (!spec.database) throw new PostgresTargetError('a postgres connection needs spec.database');
  const user = credentials.username;
  const password = credentials.password;
  if (!user || password === undefined)
    throw new PostgresTargetError('the connection credentials need the keys username and password');
  const { host, port } = parseHostPort(spec.address);
  return {
    host,
    port,
    database: spec.database,
    user,
    password,
    tls: {
      mode: spec.tls?.mode ?? 'verify-full',
      ca: target.caCertificates,
      serverName: spec.tls?.serverName,
    },
  };
}

export const postgresAdapter: ProtocolAdapter = {
  protocol: 'postgres',
  async start(listener: ListenerSpec, deps: AdapterDeps): Promise<RunningListener> {
    const options = postgresListenerOptionsSchema.parse(listener.options ?? {});
    const running = await startPostgresListener(
      {
        connection: listener.connection,
        host: listener.listen.host,
        port: listener.listen.port,
        upstream: async () => postgresUpstream(await listener.target()),
        tls: options.clientTls,
        requireTls: options.requireTls,
        workloadIdentity: deps.workloadIdentity,
        maxMessageBytes: options.maxMessageBytes,
      },
      deps,
    );
    return { port: running.port, close: () => running.close() };
  },
};
