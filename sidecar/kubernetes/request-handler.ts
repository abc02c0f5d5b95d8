/**
 * One ordinary (non-upgrade) Kubernetes API request: authenticate, classify, judge, forward with
 * the Connection's credentials, mask the answer when a MaskingRule applies, record.
 *
 * Forwarding uses node:http(s) directly rather than httpxy: the proxy must choose the target per
 * request (rotated credentials, impersonation per caller), control every header, and intercept
 * the response body for masking while still streaming watches. httpxy's interception
 * (`selfHandleResponse`) hands back the raw upstream response anyway, so it would add a layer
 * without doing any of the work; the upgrade path is ours too (SPDY).
 */
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { pipeline } from 'node:stream';
import { classifyKubernetesRequest, isRequestInfoError, requestInfo } from '../classify/kubernetes/index.js';
import { splitRequestTarget } from '../classify/http/request-target.js';
import { toCommand, type Identity } from '../core/command.js';
import { Enforcer, type Verdict } from '../enforcement/enforcer.js';
import { maskerFor, type Masker } from '../masking/index.js';
import { authenticate } from './authenticate.js';
import {
  downstreamResponseHeaders,
  isJsonMediaType,
  jsonOnlyAccept,
  mediaType,
  upstreamRequestHeaders,
} from './headers.js';
import type { ListenerContext } from './listener-context.js';
import { relayBody } from './relay.js';
import { maskJsonDocument, TextMasker, UnmaskableBodyError, WatchMasker } from './response-masking.js';
import { kubernetesStatus, statusHeaders, type StatusReason } from './status.js';
import { KubernetesTargetError, KubernetesUpstream } from './upstream.js';

const PROTOCOL = 'kubernetes';

type Outcome =
  'allow' | 'deny' | 'approval_refused' | 'bad_request' | 'unauthorized' | 'unmaskable' | 'upstream_error';

function sendStatus(res: ServerResponse, code: number, reason: StatusReason, message: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify(kubernetesStatus(code, reason, message));
  const headers: OutgoingHttpHeaders = statusHeaders(body);
  if (code === 401) headers['www-authenticate'] = 'Bearer realm="crewgate"';
  res.writeHead(code, headers);
  res.end(body);
}

/** True when the client asked for an upgrade in only one of the two headers Node needs to see one. */
function halfUpgrade(req: IncomingMessage): boolean {
  const connection = req.headers.connection ?? '';
  return req.headers.upgrade !== undefined || /(^|,)\s*upgrade\s*(,|$)/i.test(connection);
}

export async function handleRequest(
  ctx: ListenerContext,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const { deps } = ctx;
  const count = (outcome: Outcome) => deps.metrics.requests.inc({ protocol: PROTOCOL, outcome });
  req.on('error', () => undefined);
  res.on('error', () => undefined);

  if (halfUpgrade(req)) {
    count('bad_request');
    sendStatus(res, 400, 'BadRequest', 'crewgate: an upgrade needs both "Connection: Upgrade" and "Upgrade"');
    return;
  }

  const auth = await authenticate(req.headers, deps, ctx.verifiedTokens);
  if (!auth.ok) {
    deps.metrics.authFailures.inc({ protocol: PROTOCOL, reason: auth.metric });
    count('unauthorized');
    ctx.log.info({ reason: auth.metric, url: req.url }, 'request refused: not authenticated');
    sendStatus(res, 401, 'Unauthorized', auth.message);
    return;
  }
  const identity = auth.identity;
  const session = ctx.sessions.sessionFor(req.socket as Socket, identity);
  const method = req.method ?? 'GET';
  const url = req.url ?? '/';

  const info = requestInfo(method, url);
  const target = splitRequestTarget(url);
  if (isRequestInfoError(info) || typeof target === 'string') {
    const message = `crewgate: the request path cannot be read safely: ${isRequestInfoError(info) ? info.message : target}`;
    deps.recorder.record(session, { type: 'error', message, code: '400' });
    count('bad_request');
    sendStatus(res, 400, 'BadRequest', message);
    return;
  }
  const pathAndQuery = target.query === undefined ? target.path : `${target.path}?${target.query}`;

  const command = toCommand(
    { connection: ctx.connection, protocol: PROTOCOL, identity },
    classifyKubernetesRequest(method, url),
  );
  const commands = [command];
  const decision = deps.enforcer.judge(commands);
  let verdict: Verdict;
  if (decision.action === 'RequireApproval') {
    const abort = new AbortController();
    const onClose = () => abort.abort();
    res.once('close', onClose);
    verdict = await deps.enforcer.approval(session, commands, decision, {
      session,
      // HTTP has no side channel to tell kubectl it is waiting; the request simply waits.
      notify: (message) => ctx.log.info({ session, message }, 'request held for approval'),
      signal: abort.signal,
    });
    res.off('close', onClose);
    if (abort.signal.aborted) return;
  } else {
    verdict = deps.enforcer.verdict(session, commands, decision);
  }
  if (!verdict.run) {
    count(decision.action === 'RequireApproval' ? 'approval_refused' : 'deny');
    sendStatus(res, 403, 'Forbidden', `crewgate: ${verdict.reason}`);
    return;
  }

  let upstream: KubernetesUpstream;
  try {
    upstream = new KubernetesUpstream(ctx.connection, await ctx.target(), identity, ctx.agents);
  } catch (error) {
    const message =
      error instanceof KubernetesTargetError
        ? error.message
        : error instanceof Error
          ? error.message
          : String(error);
    ctx.log.warn({ session, err: message }, 'the Connection could not be resolved');
    deps.recorder.record(session, { type: 'error', message, code: '503' });
    count('upstream_error');
    sendStatus(
      res,
      503,
      'ServiceUnavailable',
      `crewgate: the connection ${ctx.connection} is not usable: ${message}`,
    );
    return;
  }

  const masker = maskerFor(Enforcer.forIdentity(verdict.masking, identity), identity);
  // Counted when forwarded; a forwarded request that then fails is counted again under its failure.
  count('allow');
  forward(
    ctx,
    { req, res, session, identity, upstream, masker, pathAndQuery, watch: command.operations[0] === 'watch' },
    count,
  );
}

interface Exchange {
  req: IncomingMessage;
  res: ServerResponse;
  session: string;
  identity: Identity;
  upstream: KubernetesUpstream;
  masker: Masker;
  pathAndQuery: string;
  watch: boolean;
}

function forward(ctx: ListenerContext, x: Exchange, count: (outcome: Outcome) => void): void {
  const { req, res, masker, session } = x;
  const { deps } = ctx;
  const headers = upstreamRequestHeaders(req.headers, { dropAcceptEncoding: masker.active });
  // Protobuf (and CBOR, YAML) cannot be masked here: ask for JSON, which every resource serves.
  if (masker.active) headers.accept = jsonOnlyAccept(req.headers.accept);
  const started = performance.now();
  const upstreamReq = x.upstream.open(req.method ?? 'GET', x.pathAndQuery, headers);
  let maskedFields = 0;
  let failed = false;

  const fail = (code: number, reason: StatusReason, message: string, outcome: Outcome): void => {
    if (failed) return;
    failed = true;
    ctx.log.warn({ session, err: message }, 'request failed');
    deps.recorder.record(session, { type: 'error', message, code: String(code) });
    count(outcome);
    upstreamReq.destroy();
    sendStatus(res, code, reason, `crewgate: ${message}`);
  };

  res.once('close', () => {
    if (!res.writableFinished) upstreamReq.destroy();
  });
  upstreamReq.on('error', (error) =>
    fail(
      503,
      'ServiceUnavailable',
      `the API server could not be reached: ${error.message}`,
      'upstream_error',
    ),
  );
  let sent = 0;
  req.on('data', (c: Buffer) => (sent += c.length));
  req.once('end', () => deps.metrics.bytes.inc({ protocol: PROTOCOL, direction: 'upstream' }, sent));
  req.pipe(upstreamReq);

  upstreamReq.on('response', (ures) => {
    deps.metrics.upstreamSeconds.observe({ protocol: PROTOCOL }, (performance.now() - started) / 1000);
    ures.on('error', () => undefined);
    const status = ures.statusCode ?? 502;
    // Counted once per answer (a watch: when it ends), not per chunk: a counter update per 16 KiB
    // record showed in profiles.
    let received = 0;
    ures.on('data', (c: Buffer) => (received += c.length));
    ures.once('close', () =>
      deps.metrics.bytes.inc({ protocol: PROTOCOL, direction: 'downstream' }, received),
    );
    const finished = () => {
      if (failed) return;
      if (maskedFields > 0) deps.metrics.maskedFields.inc({ protocol: PROTOCOL }, maskedFields);
      deps.recorder.record(session, {
        type: 'result',
        tag: `HTTP ${status}`,
        ...(masker.active ? { maskedFields } : {}),
      });
    };
    const onMasked = (n: number) => (maskedFields += n);
    const noBody = req.method === 'HEAD' || status === 204 || status === 304;

    if (!masker.active || noBody) {
      res.writeHead(status, downstreamResponseHeaders(ures.headers, { dropContentLength: false }));
      // A watch or a streamed list may send its first byte much later: the client must see the
      // headers this turn. A sized answer goes out with its body in one write.
      relayBody(ures, res, (error) => (error ? res.destroy() : finished()), {
        flushHeaders: ures.headers['content-length'] === undefined,
      });
      return;
    }
    const encoding = (ures.headers['content-encoding'] ?? 'identity').toLowerCase();
    const contentType = ures.headers['content-type'] ?? '';
    if (encoding !== 'identity') {
      ures.resume();
      fail(
        406,
        'NotAcceptable',
        `masking applies to ${x.identity.subject} and the API server answered in ${encoding} encoding, which cannot be masked`,
        'unmaskable',
      );
      return;
    }
    const outHeaders = downstreamResponseHeaders(ures.headers, { dropContentLength: true });
    if (isJsonMediaType(contentType) && (x.watch || /stream=watch/i.test(contentType))) {
      res.writeHead(status, outHeaders);
      res.flushHeaders();
      pipeline(ures, new WatchMasker(masker, ctx.maxMaskedLineBytes, onMasked), res, (error) => {
        if (!error) return finished();
        // Headers are out: the only honest thing left is to cut the stream, never to pass it unmasked.
        deps.recorder.record(session, {
          type: 'error',
          message: `watch stream cut: ${error.message}`,
          code: '500',
        });
        count('unmaskable');
        res.destroy();
      });
      return;
    }
    if (isJsonMediaType(contentType)) {
      const chunks: Buffer[] = [];
      let size = 0;
      ures.on('data', (c: Buffer) => {
        size += c.length;
        if (size > ctx.maxMaskedBodyBytes) {
          ures.destroy();
          fail(
            406,
            'NotAcceptable',
            `masking applies and the answer is larger than ${ctx.maxMaskedBodyBytes} bytes; ask for fewer objects (--chunk-size / limit)`,
            'unmaskable',
          );
          return;
        }
        chunks.push(c);
      });
      ures.on('end', () => {
        if (failed) return;
        let masked;
        try {
          masked = maskJsonDocument(masker, Buffer.concat(chunks));
        } catch (error) {
          const message = error instanceof UnmaskableBodyError ? error.message : String(error);
          fail(500, 'InternalError', `the answer could not be masked: ${message}`, 'unmaskable');
          return;
        }
        maskedFields += masked.maskedFields;
        res.writeHead(status, { ...outHeaders, 'content-length': String(masked.body.length) });
        res.end(masked.body, finished);
      });
      return;
    }
    if (mediaType(contentType) === 'text/plain') {
      res.writeHead(status, outHeaders);
      res.flushHeaders();
      pipeline(ures, new TextMasker(masker, ctx.maxMaskedLineBytes, onMasked), res, (error) =>
        error ? res.destroy() : finished(),
      );
      return;
    }
    ures.resume();
    fail(
      406,
      'NotAcceptable',
      `masking applies to ${x.identity.subject} and the API server answered ${mediaType(contentType) || 'without a Content-Type'}, which cannot be masked`,
      'unmaskable',
    );
  });
}
