/**
 * The sidecar's PostgreSQL listener: one per Connection of type postgres. Each client connection
 * is authenticated, gets its own upstream session with the Connection's credentials, and is then
 * relayed by a PostgresSession. A failure ends that one connection with a FATAL ErrorResponse;
 * the listener keeps serving everyone else.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { createSecureContext } from 'node:tls';
import type { Logger } from 'pino';
import type { Identity } from '../core/command.js';
import type { Enforcer } from '../enforcement/enforcer.js';
import type { SidecarMetrics } from '../enforcement/metrics.js';
import type { SessionRecorder } from '../enforcement/recorder.js';
import type { TokenVerifier } from '../identity/token-verifier.js';
import { encodeErrorResponse } from './backend-messages.js';
import { CancelRegistry } from './cancel-registry.js';
import { CatalogLookup } from './catalog.js';
import { clientStartup, refusalSocket, StartupError } from './client-startup.js';
import { PostgresProtocolError, SqlState } from './protocol-error.js';
import { PostgresSession } from './session.js';
import { ClassificationCache, SqlCommands } from './sql-commands.js';
import { connectUpstream, UpstreamError, type UpstreamTarget } from './upstream.js';

/** Startup parameters passed on to the server. Others (notably `options`, which can set `role`) are dropped. */
const FORWARDED_PARAMETERS = [
  'application_name',
  'client_encoding',
  'DateStyle',
  'TimeZone',
  'extra_float_digits',
  'IntervalStyle',
];

export interface PostgresListenerOptions {
  /** Name of the Connection this listener serves. */
  connection: string;
  host?: string;
  port: number;
  /** Where and as whom to connect upstream; asked per session so rotated credentials apply. */
  upstream: () => Promise<UpstreamTarget>;
  /** Serving certificate for clients that ask for TLS. */
  tls?: { certificatePem: string; privateKeyPem: string };
  requireTls?: boolean;
  /** The pod's identity, used when a client sends no token. */
  workloadIdentity?: Identity;
  maxMessageBytes?: number;
}

export interface PostgresListenerDeps {
  enforcer: Enforcer;
  verifier: Pick<TokenVerifier, 'verify'>;
  recorder: SessionRecorder;
  metrics: SidecarMetrics;
  logger: Logger;
}

export interface PostgresListener {
  port: number;
  activeSessions(): number;
  close(): Promise<void>;
}

function writeFatal(socket: Socket, error: PostgresProtocolError): void {
  if (socket.destroyed) return;
  socket.end(encodeErrorResponse({ severity: 'FATAL', code: error.sqlState, message: error.message }));
}

export async function startPostgresListener(
  options: PostgresListenerOptions,
  deps: PostgresListenerDeps,
): Promise<PostgresListener> {
  const cancels = new CancelRegistry();
  const classifications = new ClassificationCache();
  const sessions = new Set<PostgresSession>();
  const secureContext = options.tls
    ? createSecureContext({ cert: options.tls.certificatePem, key: options.tls.privateKeyPem })
    : undefined;
  const log = deps.logger.child({ connection: options.connection, protocol: 'postgres' });

  const accept = async (socket: Socket) => {
    socket.setNoDelay(true);
    socket.on('error', () => undefined);
    const client = `${socket.remoteAddress}:${socket.remotePort}`;
    let startup;
    try {
      startup = await clientStartup(socket, {
        tls: secureContext,
        requireTls: options.requireTls ?? false,
        verifier: deps.verifier,
        workloadIdentity: options.workloadIdentity,
        maxMessageBytes: options.maxMessageBytes,
      });
    } catch (error) {
      const e = error instanceof PostgresProtocolError ? error : new PostgresProtocolError(String(error));
      if (e instanceof StartupError && e.authFailure)
        deps.metrics.authFailures.inc({ protocol: 'postgres', reason: e.authFailure });
      log.info({ client, err: e.message }, 'client refused during startup');
      writeFatal(refusalSocket(error, socket), e);
      return;
    }
    if (startup.kind === 'cancel') {
      socket.destroy();
      if (!cancels.cancel(startup.processId, startup.secretKey))
        log.info({ client }, 'cancel request for an unknown session');
      return;
    }

    const id = randomUUID();
    const { identity } = startup;
    const forwarded = Object.fromEntries(
      Object.entries(startup.parameters).filter(([k]) => FORWARDED_PARAMETERS.includes(k)),
    );
    let target: UpstreamTarget;
    let upstream;
    try {
      target = await options.upstream();
      upstream = await connectUpstream(target, forwarded);
    } catch (error) {
      const message = error instanceof UpstreamError ? error.message : String(error);
      log.warn({ client, session: id, err: message }, 'upstream connection failed');
      writeFatal(
        startup.socket,
        new PostgresProtocolError(
          `crewgate: cannot open a session on ${options.connection}: ${message}`,
          SqlState.connectionFailure,
        ),
      );
      return;
    }

    deps.recorder.record(id, {
      type: 'session.start',
      identity,
      connection: options.connection,
      protocol: 'postgres',
      client,
    });
    deps.metrics.activeSessions.inc({ protocol: 'postgres' });
    // The cancel key must exist before the session (it is sent in BackendKeyData); the holder lets
    // the registry reach the session once it does.
    const holder: { session?: PostgresSession } = {};
    const cancelKey = cancels.register({ cancel: () => holder.session?.cancel() });
    const context = {
      connection: options.connection,
      protocol: 'postgres' as const,
      identity,
      attributes: { database: target.database, user: startup.parameters.user ?? '' },
    };
    const session = new PostgresSession({
      id,
      connection: options.connection,
      identity,
      client: startup.socket,
      parser: startup.parser,
      upstream,
      upstreamTarget: target,
      commands: new SqlCommands(context, classifications),
      enforcer: deps.enforcer,
      recorder: deps.recorder,
      metrics: deps.metrics,
      catalog: new CatalogLookup(async () => target),
      logger: log.child({ session: id, subject: identity.subject }),
      cancelKey,
    });
    holder.session = session;
    sessions.add(session);
    session.onClosed = () => {
      sessions.delete(session);
      cancels.unregister(cancelKey.processId);
      deps.metrics.activeSessions.dec({ protocol: 'postgres' });
    };
    log.info({ client, session: id, subject: identity.subject, groups: identity.groups }, 'session started');
    session.start(startup.pending);
  };

  const server: Server = createServer((socket) => {
    accept(socket).catch((error: Error) => {
      log.error({ err: error.message }, 'unexpected failure accepting a client');
      socket.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  log.info({ port }, 'postgres listener ready');
  return {
    port,
    activeSessions: () => sessions.size,
    close: async () => {
      for (const s of sessions) s.close('listener closing');
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
