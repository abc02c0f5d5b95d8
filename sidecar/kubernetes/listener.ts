/**
 * The sidecar's Kubernetes API listener: one per Connection of type kubernetes, on loopback,
 * plain HTTP (what the injected kubeconfig points at) or TLS when a serving certificate is
 * configured. Ordinary requests go through `handleRequest`; upgrades (exec, attach,
 * port-forward) are authenticated and their target resolved here, then handed to
 * `handleUpgrade`, which owns the socket from then on. Bad input ends with a Status for that one
 * request; the listener keeps serving.
 */
import { createServer as createHttpServer, type IncomingMessage, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { AdapterDeps, ListenerSpec, RunningListener } from '../adapters/protocol-adapter.js';
import { authenticate } from './authenticate.js';
import { ConnectionSessions } from './connection-sessions.js';
import { handleUpgrade } from './exec/handle-upgrade.js';
import type { ListenerContext } from './listener-context.js';
import { VerifiedTokens } from '../identity/verified-tokens.js';
import { handleRequest } from './request-handler.js';
import { kubernetesStatus, rawStatusResponse } from './status.js';
import { KubernetesUpstream, UpstreamAgents } from './upstream.js';

export interface KubernetesListenerSettings {
  /** Serving certificate and key (PEM); absent means plain HTTP. */
  tls?: { certificatePem: string; privateKeyPem: string };
  /** Node's `maxHeaderSize`: larger request heads get a 431 and the connection is closed. */
  maxHeaderBytes: number;
  maxMaskedBodyBytes: number;
  maxMaskedLineBytes: number;
}

export async function startKubernetesListener(
  spec: ListenerSpec,
  settings: KubernetesListenerSettings,
  deps: AdapterDeps,
): Promise<RunningListener> {
  const log = deps.logger.child({ connection: spec.connection, protocol: 'kubernetes' });
  const ctx: ListenerContext = {
    connection: spec.connection,
    target: spec.target,
    deps,
    sessions: new ConnectionSessions(spec.connection, deps.recorder, deps.metrics),
    agents: new UpstreamAgents(),
    verifiedTokens: new VerifiedTokens(deps.verifier),
    log,
    maxMaskedBodyBytes: settings.maxMaskedBodyBytes,
    maxMaskedLineBytes: settings.maxMaskedLineBytes,
  };
  const serverOptions = { maxHeaderSize: settings.maxHeaderBytes };
  const server: Server = settings.tls
    ? createHttpsServer({
        ...serverOptions,
        cert: settings.tls.certificatePem,
        key: settings.tls.privateKeyPem,
      })
    : createHttpServer(serverOptions);

  server.on('request', (req, res) => {
    handleRequest(ctx, req, res).catch((error: unknown) => {
      log.error({ err: error instanceof Error ? error.message : String(error) }, 'request handler failed');
      if (!res.headersSent) {
        res.writeHead(500, { 'content-type': 'application/json', connection: 'close' });
        res.end(JSON.stringify(kubernetesStatus(500, 'InternalError', 'crewgate: internal error')));
      } else res.destroy();
    });
  });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => undefined);
    upgrade(ctx, req, socket, head).catch((error: unknown) => {
      log.error({ err: error instanceof Error ? error.message : String(error) }, 'upgrade handler failed');
      socket.destroy();
    });
  });
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    if (error.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    deps.metrics.requests.inc({ protocol: 'kubernetes', outcome: 'bad_request' });
    log.info({ err: error.code ?? error.message }, 'malformed request refused');
    socket.end(
      error.code === 'HPE_HEADER_OVERFLOW'
        ? rawStatusResponse(
            431,
            'BadRequest',
            `crewgate: the request headers are larger than ${settings.maxHeaderBytes} bytes`,
          )
        : rawStatusResponse(400, 'BadRequest', 'crewgate: the request is not valid HTTP/1.1'),
    );
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(spec.listen.port, spec.listen.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (error) => log.error({ err: error.message }, 'listener error'));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : spec.listen.port;
  log.info({ port, tls: settings.tls !== undefined }, 'kubernetes listener started');

  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        ctx.agents.destroy();
      }),
  };
}

async function upgrade(
  ctx: ListenerContext,
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
): Promise<void> {
  const { deps } = ctx;
  const auth = await authenticate(req.headers, deps, ctx.verifiedTokens);
  if (!auth.ok) {
    deps.metrics.authFailures.inc({ protocol: 'kubernetes', reason: auth.metric });
    deps.metrics.requests.inc({ protocol: 'kubernetes', outcome: 'unauthorized' });
    socket.end(rawStatusResponse(401, 'Unauthorized', auth.message));
    return;
  }
  const session = ctx.sessions.sessionFor(req.socket as Socket, auth.identity);
  let upstream: KubernetesUpstream;
  try {
    upstream = new KubernetesUpstream(ctx.connection, await ctx.target(), auth.identity, ctx.agents);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    deps.recorder.record(session, { type: 'error', message, code: '503' });
    deps.metrics.requests.inc({ protocol: 'kubernetes', outcome: 'upstream_error' });
    socket.end(
      rawStatusResponse(
        503,
        'ServiceUnavailable',
        `crewgate: the connection ${ctx.connection} is not usable: ${message}`,
      ),
    );
    return;
  }
  handleUpgrade({
    req,
    socket,
    head,
    identity: auth.identity,
    connection: ctx.connection,
    session,
    upstream,
    deps,
    logger: ctx.log.child({ session }),
  });
}
