/**
 * Hop-by-hop headers (RFC 9110 §7.6.1) describe one connection, never the end-to-end message, so
 * neither of the sidecar's HTTP proxies (the HTTP adapter, the Kubernetes API listener) forwards
 * them in either direction, nor any header the `Connection` header names. One list, so the two
 * cannot drift apart on what a smuggled or connection-scoped header is.
 */
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';

/** RFC 9110 §7.6.1 and the de-facto ones (`proxy-connection`, `keep-alive`). */
export const HOP_BY_HOP_HEADERS: ReadonlySet<string> = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authorization',
  'proxy-authenticate',
  'te',
  'trailer',
  'upgrade',
  'transfer-encoding',
  // Node's server already answered 100-continue to the client; the upstream gets the whole body.
  'expect',
]);

/** The lower-case header names the `Connection` header lists (`Connection: x-foo`). */
export function connectionTokens(headers: IncomingHttpHeaders | OutgoingHttpHeaders): Set<string> {
  const value = headers.connection;
  const text = Array.isArray(value) ? value.join(',') : typeof value === 'string' ? value : '';
  const tokens = new Set<string>();
  for (const t of text.split(',')) if (t.trim() !== '') tokens.add(t.trim().toLowerCase());
  return tokens;
}
