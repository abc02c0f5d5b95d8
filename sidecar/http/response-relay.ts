/**
 * The response side of one exchange (the proxy's `proxyRes` handler): hop-by-hop headers stripped,
 * then the response relayed as it comes (recording its head on the way) or, for a caller masking
 * rules name, masked whole (JSON), line by line (JSON lines) or refused; then the exchange recorded.
 */
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream';
import { maskerFor } from '../masking/index.js';
import { sendJsonError } from './errors.js';
import type { ExchangeContext, ResponsePlan } from './exchange.js';
import { recordedHeaders, stripResponseHopByHop } from './headers.js';
import { JsonLinesMasker } from './json-lines-masker.js';
import { BodyCapture, recordedBody } from './recorded-body.js';
import { hasNoBody, maskResponse } from './response-masking.js';

/** For bodies that were masked already: recording them must not mask twice. */
const UNMASKED = maskerFor([], { subject: '', groups: [] });

/** The `proxyRes` handler: strip hop-by-hop headers, then relay (recording on the way) or mask. */
export function onUpstreamResponse(
  ctx: ExchangeContext,
  proxyRes: IncomingMessage,
  req: IncomingMessage,
  res: ServerResponse,
): void {
  const plan = ctx.pending.get(req);
  if (!plan) return;
  ctx.pending.delete(req);
  stripResponseHopByHop(proxyRes.headers);
  proxyRes.headers.connection = res.shouldKeepAlive ? 'keep-alive' : 'close';
  const status = proxyRes.statusCode ?? 502;
  if (!plan.masker.active) {
    const capture = new BodyCapture(ctx.options.maxRecordedBodyBytes);
    proxyRes.on('data', (chunk: Buffer) => capture.add(chunk));
    proxyRes.on('end', () => {
      ctx.deps.metrics.bytes.inc({ protocol: 'http', direction: 'downstream' }, capture.total);
      record(ctx, plan, status, res.getHeaders(), capture.bytes(), capture.total, 0);
    });
    return;
  }
  maskResponse(plan.method, proxyRes, plan.masker, ctx.options)
    .then((masked) => {
      if (res.destroyed) return;
      if (masked.kind === 'refused') {
        ctx.deps.recorder.record(plan.session, { type: 'error', message: masked.reason, code: '502' });
        sendJsonError(
          res,
          502,
          { error: 'response cannot be masked', reason: masked.reason },
          { close: true },
        );
        res.once('finish', () => proxyRes.destroy());
        return;
      }
      if (masked.kind === 'pass') {
        // Node frames the relayed body itself (Content-Length if the upstream sent one, else chunked).
        const headers: OutgoingHttpHeaders = { ...proxyRes.headers };
        Reflect.deleteProperty(headers, 'transfer-encoding');
        res.writeHead(status, headers);
        const capture = new BodyCapture(ctx.options.maxRecordedBodyBytes);
        proxyRes.on('data', (chunk: Buffer) => capture.add(chunk));
        proxyRes.on('end', () => record(ctx, plan, status, headers, capture.bytes(), capture.total, 0));
        proxyRes.pipe(res);
        return;
      }
      if (masked.kind === 'stream') {
        streamJsonLines(ctx, plan, proxyRes, res, masked.status, masked.headers);
        return;
      }
      if (masked.maskedFields > 0)
        ctx.deps.metrics.maskedFields.inc({ protocol: 'http' }, masked.maskedFields);
      ctx.deps.metrics.bytes.inc({ protocol: 'http', direction: 'downstream' }, masked.body.length);
      res.writeHead(masked.status, masked.headers);
      res.end(masked.body);
      record(
        ctx,
        plan,
        masked.status,
        masked.headers,
        masked.body.subarray(0, ctx.options.maxRecordedBodyBytes),
        masked.body.length,
        masked.maskedFields,
        true,
      );
    })
    .catch((error: Error) => {
      ctx.log.error({ session: plan.session, err: error.message }, 'masking a response failed');
      sendJsonError(
        res,
        502,
        { error: 'response cannot be masked', reason: 'internal error' },
        { close: true },
      );
    });
}

/** JSON lines, masked line by line; a line that cannot be masked cuts the connection. */
function streamJsonLines(
  ctx: ExchangeContext,
  plan: ResponsePlan,
  proxyRes: IncomingMessage,
  res: ServerResponse,
  status: number,
  headers: OutgoingHttpHeaders,
): void {
  const masker = new JsonLinesMasker(plan.masker, ctx.options.maxResponseBytes);
  const capture = new BodyCapture(ctx.options.maxRecordedBodyBytes);
  masker.on('data', (chunk: Buffer | string) =>
    capture.add(typeof chunk === 'string' ? Buffer.from(chunk) : chunk),
  );
  res.writeHead(status, headers);
  pipeline(proxyRes, masker, res, (error) => {
    if (masker.maskedFields > 0) ctx.deps.metrics.maskedFields.inc({ protocol: 'http' }, masker.maskedFields);
    ctx.deps.metrics.bytes.inc({ protocol: 'http', direction: 'downstream' }, capture.total);
    if (error) {
      ctx.deps.recorder.record(plan.session, { type: 'error', message: `response cut: ${error.message}` });
      res.destroy();
      return;
    }
    record(ctx, plan, status, headers, capture.bytes(), capture.total, masker.maskedFields, true);
  });
}

function record(
  ctx: ExchangeContext,
  plan: ResponsePlan,
  status: number,
  responseHeaders: OutgoingHttpHeaders,
  responseBytes: Buffer,
  responseTotal: number,
  maskedFields: number,
  alreadyMasked = false,
): void {
  const limit = ctx.options.maxRecordedBodyBytes;
  const requestBytes = plan.bufferedBody ?? plan.requestBody.bytes();
  const requestTotal = plan.bufferedBody?.length ?? plan.requestBody.total;
  const requestBody = recordedBody(requestBytes, requestTotal, plan.requestContentType, plan.masker, limit);
  const responseBody = hasNoBody(plan.method, status)
    ? undefined
    : recordedBody(
        responseBytes,
        responseTotal,
        responseHeaders['content-type'] === undefined ? undefined : String(responseHeaders['content-type']),
        alreadyMasked ? UNMASKED : plan.masker,
        limit,
      );
  ctx.deps.recorder.record(plan.session, {
    type: 'result',
    tag: `HTTP ${status}`,
    ...(maskedFields > 0 && { maskedFields }),
    http: {
      status,
      requestHeaders: plan.requestHeaders,
      responseHeaders: recordedHeaders(responseHeaders, plan.credentialHeader),
      ...(requestBody && { requestBody: requestBody.text }),
      ...(responseBody && { responseBody: responseBody.text }),
      ...((requestBody?.truncated || responseBody?.truncated) && { truncated: true }),
    },
  });
}
