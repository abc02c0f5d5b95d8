/**
 * Header handling between agent and upstream. The proxy forwards the header set Node's parser
 * produced (one value per singleton header), never the raw bytes, so the upstream sees exactly
 * what the classifier saw; hop-by-hop headers (RFC 9110 §7.6.1) stop here, and the agent's
 * `Authorization` (its identity) is replaced by the Connection's credential header.
 */
import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import { HOP_BY_HOP_HEADERS, connectionTokens } from '../adapters/hop-by-hop.js';

/** Headers a request may carry only once; a second copy is an ambiguity some server reads differently. */
const SINGLETONS = ['host', 'authorization', 'content-length', 'content-type', 'content-encoding'];

/**
 * Smuggling and framing checks Node's parser leaves to the application (its own checks refuse
 * CL+TE, duplicate Content-Length, obs-fold, bad chunk framing and unknown codings before a request
 * exists). Returns why the request is refused, or undefined.
 */
export function framingProblem(req: IncomingMessage): string | undefined {
  const te = req.headers['transfer-encoding'];
  if (te !== undefined) {
    // RFC 9112 §6.1: Transfer-Encoding in HTTP/1.0 is faulty framing.
    if (req.httpVersion === '1.0') return 'Transfer-Encoding in an HTTP/1.0 request';
    // Node accepts "gzip, chunked" and hands the body over still gzip-coded; forwarding it as
    // plain chunked would change its meaning, and nothing here can decode it for the policy.
    if (te.trim().toLowerCase() !== 'chunked') return `unsupported Transfer-Encoding "${te}"`;
  }
  const seen = new Set<string>();
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const name = (raw[i] as string).toLowerCase();
    if (!SINGLETONS.includes(name)) continue;
    if (seen.has(name)) return `more than one ${name} header`;
    seen.add(name);
  }
  return undefined;
}

export interface UpstreamHeaderPlan {
  /** `host[:port]` of the upstream, as its Host header. */
  host: string;
  /** Lower-case name of the credential header and its value. */
  credentialHeader: string;
  credentialValue: string;
  /** The body was read here: send it with this exact length. */
  bufferedLength?: number;
  /** Ask for `identity` so the response can be parsed and masked. */
  identityEncoding: boolean;
}

/** The header set sent upstream for `incoming`; `incoming` itself is left as it was. */
export function upstreamHeaders(
  incoming: IncomingHttpHeaders,
  plan: UpstreamHeaderPlan,
): IncomingHttpHeaders {
  const named = connectionTokens(incoming);
  const out: IncomingHttpHeaders = {};
  for (const [name, value] of Object.entries(incoming)) {
    if (value === undefined || HOP_BY_HOP_HEADERS.has(name) || named.has(name)) continue;
    if (name === 'authorization' || name === plan.credentialHeader) continue;
    out[name] = value;
  }
  out.host = plan.host;
  if (plan.bufferedLength !== undefined) {
    out['content-length'] = String(plan.bufferedLength);
  } else if (incoming['transfer-encoding'] !== undefined) {
    // Checked by framingProblem to be exactly "chunked"; the body is re-chunked upstream.
    out['transfer-encoding'] = 'chunked';
  }
  if (plan.identityEncoding) out['accept-encoding'] = 'identity';
  out[plan.credentialHeader] = plan.credentialValue;
  return out;
}

/** Strips hop-by-hop headers from an upstream response before they reach the agent. */
export function stripResponseHopByHop(headers: IncomingHttpHeaders): void {
  // Only names present are looked at (a response has a handful): no set of every name to drop.
  const named = headers.connection === undefined ? undefined : connectionTokens(headers);
  for (const name of Object.keys(headers)) {
    if (name === 'transfer-encoding') continue; // httpxy and Node use it to frame the relayed body
    if (HOP_BY_HOP_HEADERS.has(name) || named?.has(name)) Reflect.deleteProperty(headers, name);
  }
}

/** Headers a recording keeps: an allow-list, so a new secret-bearing header is never recorded by default. */
const RECORDED = [
  'content-type',
  'content-length',
  'content-encoding',
  'accept',
  'accept-encoding',
  'user-agent',
  'x-request-id',
  'location',
  'etag',
  'cache-control',
  'retry-after',
];

/** The recorded subset of `headers`; never Authorization, Cookie, Set-Cookie or the credential header. */
export function recordedHeaders(
  headers: IncomingHttpHeaders | OutgoingHttpHeaders,
  credentialHeader: string,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of RECORDED) {
    if (name === credentialHeader) continue;
    const value = headers[name];
    if (value === undefined) continue;
    out[name] = Array.isArray(value) ? value.join(', ') : String(value);
  }
  return out;
}
