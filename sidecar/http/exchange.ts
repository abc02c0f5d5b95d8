/**
 * The request side of one HTTP exchange: framing checks, identity, classification (reading the
 * body first only when a rule of the Connection matches on body fields), the enforcer's verdict
 * (waiting for approval when a rule asks), then the upstream request through httpxy with the
 * Connection's credential header; `response-relay.ts` takes it from the upstream's answer. Each
 * refusal is a JSON answer; nothing here throws to the server.
 */
import type { Agent as HttpAgent, IncomingMessage, ServerResponse } from 'node:http';
import type { Agent as HttpsAgent } from 'node:https';
import { Readable, Transform } from 'node:stream';
import type { Logger } from 'pino';
import type { ProxyServer } from 'httpxy';
import type { AdapterDeps } from '../adapters/protocol-adapter.js';
import { classifyHttp } from '../classify/http/index.js';
import { isJsonMediaType } from '../classify/http/json-body.js';
import { toCommand, type Command, type Identity } from '../core/command.js';
import type { Verdict } from '../enforcement/enforcer.js';
import type { Decision } from '../policy/index.js';
import type { Masker } from '../masking/index.js';
import { bodyFieldsFor } from './body-fields.js';
import { readBounded } from './bounded-body.js';
import type { ClientSession } from './client-session.js';
import { sendJsonError } from './errors.js';
import { framingProblem, recordedHeaders, upstreamHeaders } from './headers.js';
import type { HttpListenerOptions } from './options.js';
import { BodyCapture } from './recorded-body.js';
import { originForm, type UpstreamTarget } from './upstream-target.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Whether an undeclared body is JSON all the same (what a lenient server would parse). */
function parsesAsJson(body: Buffer): boolean {
  const bom = body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf ? 3 : 0;
  const text = body.subarray(bom);
  const first = text.find((b) => b !== 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d);
  if (first !== 0x7b && first !== 0x5b) return false; // '{' or '['
  try {
    JSON.parse(utf8.decode(text));
    return true;
  } catch {
    return false;
  }
}

export interface ExchangeContext {
  connection: string;
  options: HttpListenerOptions;
  deps: AdapterDeps;
  proxy: ProxyServer;
  agents: { http: HttpAgent; https: HttpsAgent };
  log: Logger;
  /** Per-request state the proxy's `proxyRes` handler picks up. */
  pending: WeakMap<IncomingMessage, ResponsePlan>;
}

/** What the response side needs to know about its request. */
export interface ResponsePlan {
  session: string;
  method: string;
  masker: Masker;
  credentialHeader: string;
  requestHeaders: Record<string, string>;
  requestContentType: string | undefined;
  requestBody: BodyCapture;
  /** The classifier read the whole body: record it from here. */
  bufferedBody?: Buffer;
}

/** Handles one request; resolves when the answer has been handed over (or the client left). */
export async function handleExchange(
  ctx: ExchangeContext,
  session: ClientSession,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const { deps, options } = ctx;
  const method = req.method ?? 'GET';
  const url = req.url ?? '/';
  const hasBody =
    req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;

  const problem = framingProblem(req);
  if (problem) {
    sendJsonError(
      res,
      problem.startsWith('unsupported Transfer-Encoding') ? 501 : 400,
      {
        error: 'bad request',
        reason: problem,
      },
      { close: true },
    );
    return;
  }

  // A keep-alive caller's identity and target are known after its first request: no await then,
  // so the allow path runs to the forward without a promise hop.
  const known = session.identities.known(req.headers);
  const who = known
    ? ({ ok: true, identity: known } as const)
    : await session.identities.resolve(req.headers);
  if (!who.ok) {
    deps.metrics.authFailures.inc({ protocol: 'http', reason: who.metric });
    sendJsonError(
      res,
      401,
      { error: 'unauthenticated', reason: who.reason },
      {
        close: hasBody,
        headers: { 'www-authenticate': 'Bearer' },
      },
    );
    return;
  }
  const identity = who.identity;
  const entered = session.enter(identity);
  const id = entered.id;
  let target: UpstreamTarget;
  try {
    target = entered.resolved ?? (await entered.target);
  } catch (error) {
    const reason = `cannot reach ${ctx.connection}: ${error instanceof Error ? error.message : String(error)}`;
    deps.recorder.record(id, { type: 'error', message: reason });
    sendJsonError(res, 502, { error: 'upstream unavailable', reason }, { close: hasBody });
    return;
  }

  const mapped = originForm(url, target.base);
  if ('refused' in mapped) {
    deps.recorder.record(id, { type: 'error', message: `${method} ${url}: ${mapped.refused}` });
    sendJsonError(res, 403, { error: 'host not served', reason: mapped.refused }, { close: hasBody });
    return;
  }

  // The body is read before judging only when a rule of this Connection can look into it. Then
  // every body is read, whatever it claims to be: a server that parses JSON regardless of
  // Content-Type would otherwise take `{"role":"admin"}` sent as text/plain past a body rule.
  const contentType = req.headers['content-type'];
  const plan = bodyFieldsFor(deps.enforcer.currentBundle(), ctx.connection);
  let buffered: Buffer | undefined;
  if (plan.fields.length > 0 && hasBody) {
    const encoding = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
    if (encoding !== 'identity') {
      sendJsonError(
        res,
        415,
        {
          error: 'unsupported media type',
          reason: `a ${encoding}-encoded body cannot be checked against this Connection's body rules`,
        },
        { close: true },
      );
      return;
    }
    const declared = req.headers['content-length'];
    const read = await readBounded(req, options.maxRequestBodyBytes, declared ? Number(declared) : undefined);
    if (!read.ok) {
      const tooLarge = read.reason === 'too large';
      const reason = tooLarge
        ? `the body is larger than ${options.maxRequestBodyBytes} bytes, so this Connection's rules on body fields cannot be checked`
        : 'the client went away while sending the body';
      deps.recorder.record(id, {
        type: 'error',
        message: `${method} ${url}: ${reason}`,
        ...(tooLarge && { code: '413' }),
      });
      sendJsonError(res, 413, { error: 'request body too large', reason }, { close: true });
      return;
    }
    buffered = read.body;
  }
  const classifyAs =
    buffered && !isJsonMediaType(contentType) && parsesAsJson(buffered) ? 'application/json' : contentType;

  const classification = classifyHttp(
    {
      method,
      url,
      ...(classifyAs !== undefined && { contentType: classifyAs }),
      ...(buffered && { body: buffered }),
    },
    { bodyFields: plan.fields, maxBodyBytes: options.maxRequestBodyBytes },
  );
  const command = toCommand({ connection: ctx.connection, protocol: 'http', identity }, classification);
  const decision = deps.enforcer.judge([command]);
  const verdict =
    decision.action === 'RequireApproval'
      ? await held(ctx, id, command, decision, res)
      : deps.enforcer.verdict(id, [command], decision);
  if (verdict === undefined) return; // the client left while the request was held
  if (!verdict.run) {
    sendJsonError(
      res,
      403,
      {
        error: 'denied',
        reason: verdict.reason,
        ...(verdict.decision.policy !== undefined && { policy: verdict.decision.policy }),
        ...(verdict.decision.rule !== undefined && { rule: verdict.decision.rule }),
        ...(verdict.approvalRequest !== undefined && { approvalRequest: verdict.approvalRequest }),
      },
      { close: hasBody && buffered === undefined },
    );
    return;
  }

  forward(ctx, req, res, {
    id,
    identity,
    target,
    path: mapped.path,
    masker: session.maskerFor(verdict.masking, identity),
    hasBody,
    buffered,
  });
}

/** A request a rule holds for approval; undefined when the client left while it waited. */
async function held(
  ctx: ExchangeContext,
  session: string,
  command: Command,
  decision: Decision,
  res: ServerResponse,
): Promise<Verdict | undefined> {
  const { enforcer } = ctx.deps;
  // Held: the client sees a request that takes long, not an error. An HTTP client cannot be told
  // why mid-request (a 1xx would end Python's http.client), so the wait is logged and recorded.
  const abort = new AbortController();
  const onClose = (): void => {
    if (!res.writableFinished) abort.abort(new Error('the client disconnected'));
  };
  res.on('close', onClose);
  try {
    const verdict = await enforcer.approval(session, [command], decision, {
      session,
      signal: abort.signal,
      notify: (message) => ctx.log.info({ session, request: command.text }, message),
    });
    return abort.signal.aborted ? undefined : verdict;
  } finally {
    res.off('close', onClose);
  }
}

interface Forwarding {
  id: string;
  identity: Identity;
  target: UpstreamTarget;
  path: string;
  masker: Masker;
  hasBody: boolean;
  buffered: Buffer | undefined;
}

function forward(ctx: ExchangeContext, req: IncomingMessage, res: ServerResponse, f: Forwarding): void {
  const { target, masker } = f;
  const limit = ctx.options.maxRecordedBodyBytes;
  const response: ResponsePlan = {
    session: f.id,
    method: req.method ?? 'GET',
    masker,
    credentialHeader: target.credentialHeader,
    requestHeaders: recordedHeaders(req.headers, target.credentialHeader),
    requestContentType: req.headers['content-type'],
    requestBody: new BodyCapture(limit),
    ...(f.buffered && { bufferedBody: f.buffered }),
  };
  let body: Readable | undefined;
  if (f.buffered) {
    body = Readable.from([f.buffered]);
    ctx.deps.metrics.bytes.inc({ protocol: 'http', direction: 'upstream' }, f.buffered.length);
  } else if (f.hasBody) {
    // A tap in the pipe, never a 'data' listener: httpxy pipes its source only once the upstream
    // socket exists, and a listener would start the flow early and lose what came before.
    const capture = response.requestBody;
    const upstreamBytes = ctx.deps.metrics.bytes.labels({ protocol: 'http', direction: 'upstream' });
    const tap = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        capture.add(chunk);
        done(null, chunk);
      },
      flush(done) {
        upstreamBytes.inc(capture.total);
        done();
      },
    });
    req.pipe(tap);
    body = tap;
  }
  req.headers = upstreamHeaders(req.headers, {
    host: target.host,
    credentialHeader: target.credentialHeader,
    credentialValue: target.credentialValue,
    ...(f.buffered && { bufferedLength: f.buffered.length }),
    identityEncoding: masker.active,
  });
  req.url = f.path;
  ctx.pending.set(req, response);
  ctx.proxy
    .web(req, res, {
      target: target.base,
      agent: target.https ? ctx.agents.https : ctx.agents.http,
      // httpxy fills `ssl` in as the request's options, so an https request gets a fresh copy; a
      // plain http one none (the TLS settings mean nothing to it), which keeps the options object
      // httpxy builds in the shape it builds for every other proxy.
      ...(target.https && { ssl: { ...target.tls }, secure: target.tls.rejectUnauthorized }),
      selfHandleResponse: masker.active,
      proxyTimeout: ctx.options.upstreamTimeoutMs,
      ...(body && { buffer: body }),
    })
    .catch((error: Error & { code?: string }) => {
      const reason = `the upstream request failed: ${error.code ?? error.message}`;
      ctx.log.warn({ session: f.id, err: error.message }, 'upstream request failed');
      ctx.deps.recorder.record(f.id, { type: 'error', message: reason });
      sendJsonError(res, 502, { error: 'bad gateway', reason }, { close: true });
    });
}
