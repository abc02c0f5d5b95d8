/**
 * Which headers cross the proxy, in each direction. Pure functions over Node's header objects.
 *
 * Toward the API server the agent's own credentials never pass (its bearer token is for crewgate,
 * not the cluster), nor any `Impersonate-*` header it wrote (only the sidecar impersonates, and
 * only when the Connection says so), nor hop-by-hop headers (RFC 9110 §7.6.1).
 */
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import { HOP_BY_HOP_HEADERS, connectionTokens } from '../adapters/hop-by-hop.js';

/** Hop-by-hop headers, and `host`: the upstream request names the API server, not the sidecar. */
const HOP_BY_HOP: ReadonlySet<string> = new Set([...HOP_BY_HOP_HEADERS, 'host']);

/** True for a header the agent must never get to the API server. */
export function isCredentialOrImpersonation(name: string): boolean {
  const n = name.toLowerCase();
  return n === 'authorization' || n === 'cookie' || n.startsWith('impersonate-');
}

/** `headers` without hop-by-hop headers, those `Connection` names, and those `drop` says. */
function forwarded(headers: IncomingHttpHeaders, drop: (name: string) => boolean): OutgoingHttpHeaders {
  const named = connectionTokens(headers);
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    const n = name.toLowerCase();
    if (HOP_BY_HOP.has(n) || named.has(n) || drop(n)) continue;
    out[n] = value;
  }
  return out;
}

/**
 * The client's headers as they go upstream: without hop-by-hop headers, credentials,
 * impersonation and, when masking needs an encoding it can read, without `Accept-Encoding`.
 */
export function upstreamRequestHeaders(
  headers: IncomingHttpHeaders,
  options: { dropAcceptEncoding: boolean },
): OutgoingHttpHeaders {
  return forwarded(
    headers,
    (n) => isCredentialOrImpersonation(n) || (options.dropAcceptEncoding && n === 'accept-encoding'),
  );
}

/** The API server's headers as they go back to the client, without hop-by-hop headers. */
export function downstreamResponseHeaders(
  headers: IncomingHttpHeaders,
  options: { dropContentLength: boolean },
): OutgoingHttpHeaders {
  return forwarded(headers, (n) => options.dropContentLength && n === 'content-length');
}

/** `Impersonate-User` / `Impersonate-Group` for an identity (the API server checks `impersonate` RBAC). */
export function impersonationHeaders(identity: {
  subject: string;
  groups: readonly string[];
}): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = { 'impersonate-user': identity.subject };
  if (identity.groups.length > 0) out['impersonate-group'] = [...identity.groups];
  return out;
}

/** The media type of a Content-Type or Accept entry, lower-cased, without parameters. */
export function mediaType(value: string): string {
  return (value.split(';')[0] ?? '').trim().toLowerCase();
}

/** JSON the masker can read: `application/json` and `+json` types, with any parameters. */
export function isJsonMediaType(value: string): boolean {
  const type = mediaType(value);
  return type === 'application/json' || /^application\/[a-z0-9.+-]+\+json$/.test(type);
}

/**
 * An `Accept` header that asks only for JSON, for requests whose responses must be masked:
 * protobuf, CBOR and YAML entries are dropped (protobuf cannot be masked without the schemas),
 * the JSON entries are kept in order with their parameters (`as=Table;v=v1;g=meta.k8s.io`), and
 * plain `application/json` is the fallback the API server serves for every resource.
 */
export function jsonOnlyAccept(accept: string | undefined): string {
  const kept: string[] = [];
  for (const entry of (accept ?? '').split(',')) {
    const trimmed = entry.trim();
    if (trimmed !== '' && isJsonMediaType(trimmed)) kept.push(trimmed);
  }
  if (!kept.some((e) => e.toLowerCase().replace(/\s/g, '') === 'application/json'))
    kept.push('application/json');
  return kept.join(', ');
}
