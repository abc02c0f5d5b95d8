/**
 * Masking of one upstream response for a subject that masking rules name (DESIGN.md §5): the JSON
 * body is buffered (up to a bound), parsed, masked by JSON path and detectors with the shared
 * masker, and re-serialised with a recomputed Content-Length. What cannot be masked is never
 * half-masked: a compressed, oversized, unparseable or (by option) non-JSON body is refused.
 *
 * JSON lines (`application/x-ndjson`) are the one streamed case: each line is masked on its own
 * (JsonLinesMasker). A single JSON document over `maxResponseBytes` is refused, not masked in pieces.
 */
import type { IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import { isJsonMediaType } from '../classify/http/json-body.js';
import type { Masker } from '../masking/index.js';
import { readBounded } from './bounded-body.js';
import { isJsonLinesMediaType } from './json-lines-masker.js';

export type MaskedResponse =
  | { kind: 'masked'; status: number; headers: OutgoingHttpHeaders; body: Buffer; maskedFields: number }
  /** No body to mask (HEAD, 204, 304) or a non-JSON body the options let through: relay as is. */
  | { kind: 'pass' }
  /** JSON lines: relay through a JsonLinesMasker, line by line, with these headers. */
  | { kind: 'stream'; status: number; headers: OutgoingHttpHeaders }
  | { kind: 'refused'; reason: string };

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Status codes and methods whose responses carry no body (RFC 9110 §6.4.1). */
export function hasNoBody(method: string, status: number): boolean {
  return method === 'HEAD' || status === 204 || status === 304 || (status >= 100 && status < 200);
}

export async function maskResponse(
  method: string,
  proxyRes: IncomingMessage,
  masker: Masker,
  options: { maxResponseBytes: number; nonJsonResponses: 'pass' | 'refuse' },
): Promise<MaskedResponse> {
  const status = proxyRes.statusCode ?? 502;
  if (hasNoBody(method, status)) return { kind: 'pass' };
  const encoding = (proxyRes.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  if (encoding !== 'identity' && encoding !== '')
    return {
      kind: 'refused',
      reason: `the upstream answered with Content-Encoding ${encoding}, which cannot be masked`,
    };
  const contentType = proxyRes.headers['content-type'];
  if (isJsonLinesMediaType(contentType)) {
    const headers: OutgoingHttpHeaders = { ...proxyRes.headers };
    for (const name of ['content-length', 'transfer-encoding', 'content-encoding', 'etag'])
      Reflect.deleteProperty(headers, name);
    return { kind: 'stream', status, headers };
  }
  if (!isJsonMediaType(contentType)) {
    if (options.nonJsonResponses === 'pass') return { kind: 'pass' };
    return {
      kind: 'refused',
      reason: `the response is ${contentType ?? 'untyped'}, not JSON, and masking applies to this caller`,
    };
  }
  const declared = proxyRes.headers['content-length'];
  const read = await readBounded(proxyRes, options.maxResponseBytes, declared ? Number(declared) : undefined);
  if (!read.ok) {
    proxyRes.destroy();
    return read.reason === 'too large'
      ? {
          kind: 'refused',
          reason: `the JSON response is larger than ${options.maxResponseBytes} bytes and cannot be masked`,
        }
      : { kind: 'refused', reason: 'the upstream response ended early' };
  }
  const headers: OutgoingHttpHeaders = { ...proxyRes.headers };
  delete headers['transfer-encoding'];
  delete headers['content-encoding'];
  if (read.body.length === 0) {
    headers['content-length'] = '0';
    return { kind: 'masked', status, headers, body: read.body, maskedFields: 0 };
  }
  let document: unknown;
  try {
    document = JSON.parse(utf8.decode(read.body).replace(/^\uFEFF/, ''));
  } catch {
    return {
      kind: 'refused',
      reason: 'the response says it is JSON but does not parse, so it cannot be masked',
    };
  }
  const masked = masker.maskJson(document);
  // Unchanged documents go out byte for byte: re-serialising would still be correct but would
  // reformat numbers such as 1.0 or 1e3.
  const body = masked.maskedFields === 0 ? read.body : Buffer.from(JSON.stringify(masked.value), 'utf8');
  headers['content-length'] = String(body.length);
  delete headers.etag; // the representation changed
  return { kind: 'masked', status, headers, body, maskedFields: masked.maskedFields };
}
