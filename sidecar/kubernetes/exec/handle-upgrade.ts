/**
 * The upgrade path of the Kubernetes listener (DESIGN.md §4, issue 8 items 4-6): `kubectl exec`,
 * `attach` and `port-forward`, over WebSocket (`v5.channel.k8s.io` and older) or SPDY/3.1.
 *
 * Order of things: read the request (classifier), refuse upgrades we cannot record, read the
 * target pod's facts with the Connection's credentials (a pod that cannot be read is refused),
 * judge with the enforcer, wait for approval when a rule asks (on WebSocket after accepting the
 * upgrade, so kubectl can be told it is waiting), then open the upgraded connection to the API
 * server with the Connection's credentials and relay, recording every stream as it passes.
 */
import type { IncomingMessage } from 'node:http';
import WebSocket, { WebSocketServer } from 'ws';
import { classifyKubernetesRequest } from '../../classify/kubernetes/index.js';
import { parseQuery, queryValues } from '../../classify/http/form-query.js';
import { toCommand, UNPARSEABLE, type Command } from '../../core/command.js';
import type { Verdict } from '../../enforcement/enforcer.js';
import { upstreamRequestHeaders } from '../headers.js';
import { rawStatusResponse, type StatusReason } from '../status.js';
import type { UpgradeInput } from '../upgrade-input.js';
import {
  encodeChannelMessage,
  EXEC_PROTOCOLS,
  PORT_FORWARD_PROTOCOLS,
  PORT_FORWARD_TUNNEL_PROTOCOL,
  statusOnErrorChannel,
} from './channel-protocol.js';
import { relayBytes } from './byte-relay.js';
import { lookUpPod, PodLookupError } from './pod-facts.js';
import { spdyObserver, tunnelObserver, webSocketObserver, type StreamKind } from './stream-observers.js';
import { openUpstreamUpgrade, upstreamTarget, UpstreamUpgradeError } from './upstream-upgrade.js';
import { relayMessages, type PendingMessage } from './websocket-relay.js';

/** Largest WebSocket message accepted from the agent (kubectl sends stdin in 32 KiB pieces). */
export const MAX_CLIENT_MESSAGE_BYTES = 1024 * 1024;
/** Largest WebSocket message accepted from the API server. */
export const MAX_UPSTREAM_MESSAGE_BYTES = 16 * 1024 * 1024;
/** Client messages kept while an exec waits for approval (a TTY sends its size at once). */
const MAX_QUEUED_BYTES = 1024 * 1024;

const STREAMING = new Set<string>(['exec', 'attach', 'portforward']);
/** `X-Stream-Protocol-Version`s the SPDY path can record. */
const SPDY_EXEC_STREAM_PROTOCOLS = new Set(EXEC_PROTOCOLS.filter((p) => !p.includes('base64')));
const SPDY_PORT_FORWARD_STREAM_PROTOCOLS = new Set(['portforward.k8s.io']);

type Outcome = 'allow' | 'deny' | 'approval_refused' | 'bad_request' | 'upstream_error';

export function handleUpgrade(input: UpgradeInput): void {
  run(input).catch((error: unknown) => {
    input.logger.error({ err: error instanceof Error ? error.message : String(error) }, 'upgrade failed');
    input.socket.destroy();
  });
}

function count(input: UpgradeInput, outcome: Outcome): void {
  input.deps.metrics.requests.inc({ protocol: 'kubernetes', outcome });
}

function refuse(
  input: UpgradeInput,
  code: number,
  reason: StatusReason,
  message: string,
  outcome: Outcome,
): void {
  count(input, outcome);
  input.logger.info({ code, message }, 'upgrade refused');
  if (input.socket.writable) input.socket.end(rawStatusResponse(code, reason, message));
  else input.socket.destroy();
}

function headerList(value: string | string[] | undefined): string[] {
  const values = Array.isArray(value) ? value : value === undefined ? [] : [value];
  return values
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter((v) => v !== '');
}

function validWebSocketHandshake(req: IncomingMessage): string | undefined {
  if (req.method !== 'GET') return `a WebSocket upgrade must be a GET, not ${req.method}`;
  if (req.headers['sec-websocket-version'] !== '13') return 'Sec-WebSocket-Version must be 13';
  const key = req.headers['sec-websocket-key'];
  if (typeof key !== 'string' || !/^[A-Za-z0-9+/]{22}==$/.test(key))
    return 'Sec-WebSocket-Key is missing or malformed';
  return undefined;
}

async function run(input: UpgradeInput): Promise<void> {
  const { req, deps } = input;
  const url = req.url ?? '';
  const upgrade = (req.headers.upgrade ?? '').trim();
  const transport = /^websocket$/i.test(upgrade)
    ? 'websocket'
    : /^spdy\/3\.1$/i.test(upgrade)
      ? 'spdy'
      : undefined;
  if (!transport)
    return refuse(
      input,
      400,
      'BadRequest',
      `crewgate: cannot upgrade to ${JSON.stringify(upgrade)}: exec, attach and port-forward speak websocket or SPDY/3.1`,
      'bad_request',
    );
  if (!url.startsWith('/'))
    return refuse(
      input,
      400,
      'BadRequest',
      'crewgate: an upgrade request-target must be a path',
      'bad_request',
    );

  const classification = classifyKubernetesRequest(req.method ?? '', url);
  const operation = classification.operations[0] ?? UNPARSEABLE;
  const base: Command = toCommand(
    { connection: input.connection, protocol: 'kubernetes', identity: input.identity },
    classification,
  );
  if (classification.operations.includes(UNPARSEABLE)) {
    // Judged and recorded like any command (no rule allows it unless it says so), then refused:
    // an upgrade we cannot read is never relayed.
    const verdict = deps.enforcer.verdict(input.session, [base], deps.enforcer.judge([base]));
    const why = verdict.run ? 'the request cannot be read, so it is not relayed' : verdict.reason;
    return refuse(input, 403, 'Forbidden', `crewgate: ${why}`, 'deny');
  }
  const expected = `pods/${operation}`;
  if (!STREAMING.has(operation) || classification.resources[0] !== expected)
    return refuse(
      input,
      400,
      'BadRequest',
      `crewgate: only pods/exec, pods/attach and pods/portforward can be upgraded, not ${classification.text}`,
      'bad_request',
    );
  const kind = operation as StreamKind;

  const offered = headerList(req.headers['sec-websocket-protocol']);
  const streamVersions = headerList(req.headers['x-stream-protocol-version']);
  let protocol: string | undefined;
  if (transport === 'websocket') {
    const invalid = validWebSocketHandshake(req);
    if (invalid) return refuse(input, 400, 'BadRequest', `crewgate: ${invalid}`, 'bad_request');
    const supported = kind === 'portforward' ? PORT_FORWARD_PROTOCOLS : EXEC_PROTOCOLS;
    protocol = offered.find((p) => supported.includes(p));
    if (!protocol)
      return refuse(
        input,
        400,
        'BadRequest',
        `crewgate: none of the WebSocket subprotocols offered (${offered.join(', ') || 'none'}) is one crewgate can record (${supported.join(', ')})`,
        'bad_request',
      );
  } else {
    const supported =
      kind === 'portforward' ? SPDY_PORT_FORWARD_STREAM_PROTOCOLS : SPDY_EXEC_STREAM_PROTOCOLS;
    if (!streamVersions.some((v) => supported.has(v)))
      return refuse(
        input,
        400,
        'BadRequest',
        `crewgate: none of the stream protocols offered (${streamVersions.join(', ') || 'none'}) is one crewgate can record (${[...supported].join(', ')})`,
        'bad_request',
      );
  }

  const closed = new AbortController();
  const onClientClose = () => closed.abort();
  input.socket.once('close', onClientClose);

  const namespace = String(classification.attributes.namespace ?? '');
  const name = String(classification.attributes.name ?? '');
  const requestedContainer =
    typeof classification.attributes.container === 'string' ? classification.attributes.container : undefined;
  let command: Command;
  try {
    const facts = await lookUpPod(input.upstream, namespace, name, requestedContainer, closed.signal);
    command = { ...base, attributes: { ...base.attributes, ...facts } };
  } catch (error) {
    if (closed.signal.aborted) return void input.socket.destroy();
    const message = error instanceof PodLookupError ? error.message : String(error);
    deps.recorder.record(input.session, {
      type: 'error',
      message: `${classification.text}: ${message}`,
      code: '403',
    });
    return refuse(
      input,
      403,
      'Forbidden',
      `crewgate: ${operation} refused: ${message}; the pod's facts are needed to judge it`,
      'deny',
    );
  }

  const commands = [command];
  const decision = deps.enforcer.judge(commands);
  const query = parseQuery(url.includes('?') ? url.slice(url.indexOf('?') + 1) : '');
  const requestedPorts = (query.ok ? queryValues(query.params, 'ports') : [])
    .map(Number)
    .filter((p) => Number.isInteger(p) && p > 0 && p < 65536);
  const observerContext = { kind, recorder: deps.recorder, session: input.session, requestedPorts };

  // The tunnel subprotocol's name is not an RFC 7230 token, which `ws` refuses on both ends, so
  // that handshake passes through end to end and its frames are read on a tee (tunnelObserver).
  const rawTunnel = transport === 'websocket' && protocol === PORT_FORWARD_TUNNEL_PROTOCOL;
  if (transport === 'websocket' && !rawTunnel) {
    if (decision.action === 'RequireApproval')
      return approveOverWebSocket(input, commands, decision, protocol!, closed, observerContext);
    const verdict = deps.enforcer.verdict(input.session, commands, decision);
    if (!verdict.run) return refuse(input, 403, 'Forbidden', `crewgate: ${verdict.reason}`, 'deny');
    return relayWebSocket(input, [protocol!], undefined, observerContext, closed);
  }

  let verdict: Verdict;
  if (decision.action === 'RequireApproval') {
    // SPDY (and the raw tunnel) has no channel before the upgrade completes: kubectl waits.
    verdict = await deps.enforcer.approval(input.session, commands, decision, {
      session: input.session,
      notify: (message) => input.logger.info({ message }, 'exec held for approval'),
      signal: closed.signal,
    });
    if (closed.signal.aborted) return void input.socket.destroy();
    if (!verdict.run)
      return refuse(input, 403, 'Forbidden', `crewgate: ${verdict.reason}`, 'approval_refused');
  } else {
    verdict = deps.enforcer.verdict(input.session, commands, decision);
    if (!verdict.run) return refuse(input, 403, 'Forbidden', `crewgate: ${verdict.reason}`, 'deny');
  }
  return relayRaw(input, observerContext, closed, rawTunnel ? 'websocket' : 'SPDY/3.1');
}

/** SPDY/3.1, or the port-forward tunnel's WebSocket: our own upgrade to the API server, bytes relayed. */
async function relayRaw(
  input: UpgradeInput,
  observerContext: Parameters<typeof spdyObserver>[0],
  closed: AbortController,
  upgrade: 'SPDY/3.1' | 'websocket',
): Promise<void> {
  let response;
  try {
    response = await openUpstreamUpgrade(input.req, input.upstream, upgrade, {
      signal: closed.signal,
      // Only the subprotocol crewgate reads may be chosen by the API server.
      ...(upgrade === 'websocket'
        ? { headers: { 'sec-websocket-protocol': PORT_FORWARD_TUNNEL_PROTOCOL } }
        : {}),
    });
  } catch (error) {
    if (closed.signal.aborted) return void input.socket.destroy();
    const message = error instanceof UpstreamUpgradeError ? error.message : String(error);
    input.deps.recorder.record(input.session, { type: 'error', message, code: '502' });
    return refuse(
      input,
      502,
      'ServiceUnavailable',
      `crewgate: the API server could not be reached: ${message}`,
      'upstream_error',
    );
  }
  const { socket: upstream, status, rawHead, rest } = response;
  if (status !== 101) {
    // The API server's own refusal (404 pod gone, 403 RBAC, 400 bad container): passed on as is.
    count(input, 'upstream_error');
    input.deps.recorder.record(input.session, {
      type: 'error',
      message: `the API server answered ${status}`,
      code: String(status),
    });
    input.socket.write(rawHead);
    input.socket.write(rest);
    upstream.pipe(input.socket);
    upstream.on('error', () => input.socket.destroy());
    // The API server may keep its side open; once kubectl has read the answer and gone, so do we.
    input.socket.once('close', () => upstream.destroy());
    return;
  }
  if (
    upgrade === 'websocket' &&
    response.headers.get('sec-websocket-protocol')?.[0] !== PORT_FORWARD_TUNNEL_PROTOCOL
  ) {
    upstream.destroy();
    return refuse(
      input,
      502,
      'InternalError',
      'crewgate: the API server chose a subprotocol crewgate cannot record',
      'upstream_error',
    );
  }
  count(input, 'allow');
  const streamProtocol = response.headers.get('x-stream-protocol-version')?.[0] ?? '';
  const observer =
    upgrade === 'websocket' ? tunnelObserver(observerContext) : spdyObserver(observerContext, streamProtocol);
  try {
    if (rest.length > 0) observer.bytes('server', rest);
    if (input.head.length > 0) observer.bytes('client', input.head);
  } catch {
    upstream.destroy();
    return refuse(input, 502, 'InternalError', 'crewgate: the stream cannot be recorded', 'upstream_error');
  }
  input.socket.write(rawHead);
  if (rest.length > 0) input.socket.write(rest);
  if (input.head.length > 0) upstream.write(input.head);
  relayBytes(input.socket, upstream, observer, input.logger, (why) =>
    input.logger.info({ why }, 'exec stream ended'),
  );
}

/** Headers for the upstream WebSocket handshake: the client's, minus its credentials and its own handshake fields. */
function webSocketUpstreamHeaders(input: UpgradeInput): Record<string, string | string[]> {
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(
    upstreamRequestHeaders(input.req.headers, { dropAcceptEncoding: false }),
  )) {
    if (value === undefined || name.startsWith('sec-websocket-')) continue;
    headers[name] = Array.isArray(value) ? value : String(value);
  }
  for (const [name, value] of Object.entries(input.upstream.authHeaders()))
    if (value !== undefined) headers[name] = Array.isArray(value) ? value : String(value);
  return headers;
}

function upstreamWebSocket(input: UpgradeInput, protocols: string[]): WebSocket {
  const base = input.upstream.baseUrl;
  const url = `${base.protocol === 'https:' ? 'wss:' : 'ws:'}//${base.host}${upstreamTarget(input.upstream, input.req.url ?? '/')}`;
  return new WebSocket(url, protocols, {
    headers: webSocketUpstreamHeaders(input),
    perMessageDeflate: false,
    maxPayload: MAX_UPSTREAM_MESSAGE_BYTES,
    handshakeTimeout: 30_000,
    followRedirects: false,
    ...(input.upstream.caCertificates ? { ca: input.upstream.caCertificates } : {}),
    ...(input.upstream.servername ? { servername: input.upstream.servername } : {}),
    rejectUnauthorized: input.upstream.rejectUnauthorized,
  });
}

/** Completes the client's handshake with `protocol`; resolves once the client side is open. */
function acceptClient(input: UpgradeInput, protocol: string): Promise<WebSocket> {
  const server = new WebSocketServer({
    noServer: true,
    perMessageDeflate: false,
    clientTracking: false,
    maxPayload: MAX_CLIENT_MESSAGE_BYTES,
    handleProtocols: (protocols) => (protocols.has(protocol) ? protocol : false),
  });
  return new Promise((resolve) =>
    server.handleUpgrade(input.req, input.socket, input.head, (ws) => resolve(ws)),
  );
}

/** Allowed at once: the API server's handshake first, so its own refusals reach kubectl unchanged. */
function relayWebSocket(
  input: UpgradeInput,
  protocols: string[],
  accepted: { client: WebSocket; release: () => PendingMessage[] } | undefined,
  observerContext: Parameters<typeof webSocketObserver>[0],
  closed: AbortController,
): void {
  const upstream = upstreamWebSocket(input, protocols);
  const abort = () => upstream.terminate();
  closed.signal.addEventListener('abort', abort, { once: true });
  upstream.once('unexpected-response', (_request, response) => {
    closed.signal.removeEventListener('abort', abort);
    count(input, 'upstream_error');
    const status = response.statusCode ?? 502;
    input.deps.recorder.record(input.session, {
      type: 'error',
      message: `the API server answered ${status}`,
      code: String(status),
    });
    const chunks: Buffer[] = [];
    let size = 0;
    response.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= 64 * 1024) chunks.push(c);
    });
    response.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      if (accepted)
        return failAccepted(
          accepted.client,
          observerContext,
          protocols[0]!,
          `the API server answered ${status}: ${body}`,
        );
      const type = response.headers['content-type'] ?? 'application/json';
      input.socket.end(
        `HTTP/1.1 ${status} ${response.statusMessage ?? ''}\r\ncontent-type: ${type}\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
      );
    });
    response.on('error', () => input.socket.destroy());
  });
  upstream.once('error', (error: Error) => {
    if (upstream.readyState === WebSocket.OPEN) return; // the relay reports errors once open
    closed.signal.removeEventListener('abort', abort);
    if (closed.signal.aborted) return;
    input.deps.recorder.record(input.session, { type: 'error', message: error.message, code: '502' });
    if (accepted)
      return failAccepted(
        accepted.client,
        observerContext,
        protocols[0]!,
        `the API server could not be reached: ${error.message}`,
      );
    refuse(
      input,
      502,
      'ServiceUnavailable',
      `crewgate: the API server could not be reached: ${error.message}`,
      'upstream_error',
    );
  });
  upstream.once('open', () => {
    closed.signal.removeEventListener('abort', abort);
    if (closed.signal.aborted || (!accepted && input.socket.destroyed)) {
      upstream.terminate();
      return;
    }
    const chosen = upstream.protocol;
    const start = (client: WebSocket, queued: PendingMessage[]) => {
      count(input, 'allow');
      relayMessages(
        client,
        upstream,
        webSocketObserver(observerContext, chosen),
        input.logger,
        (why) => input.logger.info({ why }, 'exec stream ended'),
        queued,
      );
    };
    // Releasing the held messages and attaching the relay happen in one turn: nothing slips between.
    if (accepted) return start(accepted.client, accepted.release());
    void acceptClient(input, chosen).then((client) => start(client, []));
  });
}

/** Tells an already-accepted client why it will not get its stream, on the error channel, and closes. */
function failAccepted(
  client: WebSocket,
  observerContext: { recorder: UpgradeInput['deps']['recorder']; session: string; kind: StreamKind },
  protocol: string,
  message: string,
  reason: StatusReason = 'InternalError',
  code = 500,
): void {
  if (client.readyState !== WebSocket.OPEN) return;
  if (observerContext.kind !== 'portforward') {
    const text = statusOnErrorChannel(protocol)
      ? JSON.stringify({
          kind: 'Status',
          apiVersion: 'v1',
          metadata: {},
          status: 'Failure',
          message,
          reason,
          code,
        })
      : message;
    const framed = encodeChannelMessage(protocol, 'error', Buffer.from(text));
    client.send(framed.data, { binary: framed.binary });
  }
  observerContext.recorder.record(observerContext.session, { type: 'result', tag: `refused: ${message}` });
  client.close(1000);
}

/**
 * RequireApproval over WebSocket: the client's upgrade is accepted with the protocol it prefers,
 * a waiting notice goes out on its stderr channel (stdout with a TTY, where stderr is merged),
 * and what the client sends meanwhile is held (bounded). Approved: the API server's stream is
 * opened with that same protocol and the held messages go first. Refused or withdrawn: a Status
 * on the error channel, which kubectl prints, and a normal close.
 */
async function approveOverWebSocket(
  input: UpgradeInput,
  commands: Command[],
  decision: ReturnType<UpgradeInput['deps']['enforcer']['judge']>,
  protocol: string,
  closed: AbortController,
  observerContext: Parameters<typeof webSocketObserver>[0],
): Promise<void> {
  const client = await acceptClient(input, protocol);
  const queued: PendingMessage[] = [];
  let queuedBytes = 0;
  const hold = (data: Buffer, isBinary: boolean) => {
    queuedBytes += data.length;
    if (queuedBytes > MAX_QUEUED_BYTES) {
      client.close(1009, 'crewgate: too much input while waiting for approval');
      closed.abort();
      return;
    }
    queued.push({ data, isBinary });
  };
  client.on('message', hold);
  client.once('close', () => closed.abort());
  client.on('error', () => closed.abort());
  const attributes = commands[0]?.attributes ?? {};
  const noticeChannel =
    attributes.tty === true ? 'stdout' : attributes.stderr === true ? 'stderr' : undefined;
  const verdict = await input.deps.enforcer.approval(input.session, commands, decision, {
    session: input.session,
    notify: (message) => {
      input.logger.info({ message }, 'exec held for approval');
      if (!noticeChannel || client.readyState !== WebSocket.OPEN) return;
      const framed = encodeChannelMessage(
        protocol,
        noticeChannel,
        Buffer.from(`${message.startsWith('crewgate:') ? '' : 'crewgate: '}${message}\r\n`),
      );
      client.send(framed.data, { binary: framed.binary });
    },
    signal: closed.signal,
  });
  if (closed.signal.aborted) {
    client.terminate();
    return;
  }
  if (!verdict.run) {
    count(input, 'approval_refused');
    return failAccepted(client, observerContext, protocol, `crewgate: ${verdict.reason}`, 'Forbidden', 403);
  }
  // Messages that arrive until the API server's stream is open are held the same way.
  client.on('message', hold);
  const upstreamClosed = new AbortController();
  client.once('close', () => upstreamClosed.abort());
  const release = () => {
    client.off('message', hold);
    return queued;
  };
  relayWebSocket(input, [protocol], { client, release }, observerContext, upstreamClosed);
}
