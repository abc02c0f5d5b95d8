/**
 * The sidecar's HTTP adapter (DESIGN.md §2, §4): a reverse proxy on loopback for one HTTP
 * Connection, built on httpxy. The agent reaches it directly (`http://127.0.0.1:18080/path`) or as
 * its `HTTP_PROXY` (absolute-form targets for the Connection's own host); every request is judged
 * by the enforcer, forwarded with the Connection's credential header, and its JSON response masked
 * for subjects masking rules name. Parser-level refusals (smuggling, oversized headers) are JSON
 * answers from `clientError`; the listener keeps serving everyone else.
 */
import {
  Agent as HttpAgent,
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { Agent as HttpsAgent, createServer as createHttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { createProxyServer } from 'httpxy';
import type {
  AdapterDeps,
  ListenerSpec,
  ProtocolAdapter,
  RunningListener,
} from '../adapters/protocol-adapter.js';
import { ClientSession } from './client-session.js';
import { rawJsonError, sendJsonError } from './errors.js';
import { handleExchange, type ExchangeContext } from './exchange.js';
import { onUpstreamResponse } from './response-relay.js';
import { parseHttpListenerOptions } from './options.js';
import { VerifiedTokens } from '../identity/verified-tokens.js';

export { httpListenerOptionsSchema, type HttpListenerOptions } from './options.js';

/** Node's parser error codes and what the client is told (RFC 9110 §15.5, RFC 6585 §5). */
function parserRefusal(error: Error & { code?: string }): { status: number; text: string; reason: string } {
  if (error.code === 'HPE_HEADER_OVERFLOW')
    return {
      status: 431,
      text: 'Request Header Fields Too Large',
      reason: 'the request headers are too large',
    };
  if (error.code === 'HPE_INVALID_TRANSFER_ENCODING' || error.code === 'HPE_UNEXPECTED_CONTENT_LENGTH')
    return {
      status: 400,
      text: 'Bad Request',
      reason: `ambiguous message framing: ${error.message.replace(/^Parse Error: /, '')}`,
    };
  if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT')
    return { status: 408, text: 'Request Timeout', reason: 'the request took too long to arrive' };
  return {
    status: 400,
    text: 'Bad Request',
    reason: `malformed request: ${error.message.replace(/^Parse Error: /, '')}`,
  };
}

export const httpAdapter: ProtocolAdapter = {
  protocol: 'http',
  async start(listener: ListenerSpec, deps: AdapterDeps): Promise<RunningListener> {
    const options = parseHttpListenerOptions(listener.options);
    const log = deps.logger.child({ connection: listener.connection, protocol: 'http' });
    const agents = {
      http: new HttpAgent({ keepAlive: true, maxSockets: 256, maxFreeSockets: 64 }),
      https: new HttpsAgent({ keepAlive: true, maxSockets: 256, maxFreeSockets: 64 }),
    };
    const proxy = createProxyServer({});
    const ctx: ExchangeContext = {
      connection: listener.connection,
      options,
      deps,
      proxy,
      agents,
      log,
      pending: new WeakMap(),
    };
    proxy.on('proxyRes', (proxyRes, req, res) => onUpstreamResponse(ctx, proxyRes, req, res));

    const tokens = new VerifiedTokens(deps.verifier);
    const sessions = new WeakMap<Socket, ClientSession>();
    const sockets = new Set<Socket>();
    const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
      const socket = req.socket;
      let session = sessions.get(socket);
      if (session === undefined)
        sessions.set(socket, (session = new ClientSession(socket, listener, deps, tokens)));
      handleExchange(ctx, session, req, res).catch((error: Error) => {
        log.error({ err: error.message }, 'unexpected failure handling a request');
        sendJsonError(
          res,
          500,
          { error: 'internal error', reason: 'the proxy failed; nothing was forwarded' },
          { close: true },
        );
      });
    };
    // requestTimeout counts until the whole request body has arrived, and a body held back while a
    // request waits for approval (up to the rule's timeout) has not: it would cut held requests at
    // 5 minutes. headersTimeout (60 s) still bounds clients that never finish their headers.
    const serverOptions = {
      maxHeaderSize: options.maxHeaderBytes,
      requireHostHeader: true,
      requestTimeout: 0,
    };
    const server: Server = options.tls
      ? createHttpsServer(
          { ...serverOptions, cert: options.tls.certificatePem, key: options.tls.privateKeyPem },
          onRequest,
        )
      : createHttpServer(serverOptions, onRequest);
    server.on('connection', (socket: Socket) => {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
    });
    server.on('clientError', (error: Error & { code?: string }, socket: Duplex) => {
      socket.on('error', () => undefined);
      const refusal = parserRefusal(error);
      log.info({ code: error.code, status: refusal.status }, 'malformed request refused');
      if (socket.writable && !(error.code === 'ECONNRESET'))
        socket.end(
          rawJsonError(refusal.status, refusal.text, {
            error: refusal.text.toLowerCase(),
            reason: refusal.reason,
          }),
        );
      else socket.destroy();
    });
    // A tunnel (CONNECT) or a protocol switch (WebSocket) would carry bytes no rule can read.
    const refuseTunnel = (kind: string) => (req: IncomingMessage, socket: Duplex) => {
      socket.on('error', () => undefined); // Node hands the socket over without its own handlers
      socket.end(
        rawJsonError(405, 'Method Not Allowed', {
          error: 'method not allowed',
          reason: `${kind} is not proxied: the traffic inside could not be judged (${req.method} ${req.url})`,
        }),
      );
    };
    server.on('connect', refuseTunnel('CONNECT'));
    server.on('upgrade', refuseTunnel('a protocol upgrade'));

    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(listener.listen.port, listener.listen.host, () => resolve());
    });
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : listener.listen.port;
    log.info({ port, tls: options.tls !== undefined }, 'http listener ready');
    return {
      port,
      close: async () => {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        for (const socket of sockets) socket.destroy();
        await closed;
        agents.http.destroy();
        agents.https.destroy();
      },
    };
  },
};
