/**
 * Where one HTTP Connection's requests go: the Connection's base URL (`spec.address`), its TLS
 * settings, and the credential header. Built once per session from `listener.target()`.
 */
import type { ResolvedTarget } from '../adapters/protocol-adapter.js';

export interface UpstreamTarget {
  base: URL;
  https: boolean;
  /** `host[:port]` as the Host header names the upstream. */
  host: string;
  /** Per-request TLS options for httpxy's `ssl` (node:https request options). */
  tls: { ca?: string[]; servername?: string; rejectUnauthorized: boolean };
  credentialHeader: string;
  credentialValue: string;
}

/** The Secret key an http Connection's credential header value is read from (operator REQUIRED_SECRET_KEYS). */
export const CREDENTIAL_SECRET_KEY = 'value';

export class UpstreamTargetError extends Error {
  override name = 'UpstreamTargetError';
}

/** Header names are tokens (RFC 9110 §5.1); one that is not would be a header-injection vector. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

export function upstreamTarget(resolved: ResolvedTarget): UpstreamTarget {
  const { spec, credentials } = resolved;
  if (spec.type !== 'http') throw new UpstreamTargetError(`the Connection is of type ${spec.type}, not http`);
  let base: URL;
  try {
    base = new URL(spec.address);
  } catch {
    throw new UpstreamTargetError(`the Connection address ${JSON.stringify(spec.address)} is not a URL`);
  }
  if (base.protocol !== 'http:' && base.protocol !== 'https:')
    throw new UpstreamTargetError(`the Connection address must be http or https, not ${base.protocol}`);
  if (base.username || base.password || base.search || base.hash)
    throw new UpstreamTargetError('the Connection address must not carry credentials, a query or a fragment');
  const credentialHeader = (spec.http?.credentialHeader ?? 'Authorization').toLowerCase();
  if (!TOKEN.test(credentialHeader))
    throw new UpstreamTargetError(
      `the credential header ${JSON.stringify(credentialHeader)} is not a header name`,
    );
  const credentialValue = credentials[CREDENTIAL_SECRET_KEY];
  if (credentialValue === undefined || credentialValue === '')
    throw new UpstreamTargetError(`the Connection's credentials lack "${CREDENTIAL_SECRET_KEY}"`);
  if (/[\r\n\0]/.test(credentialValue))
    throw new UpstreamTargetError('the credential value contains a line break or NUL');
  const https = base.protocol === 'https:';
  const mode = spec.tls?.mode ?? 'verify-full';
  if (https && mode === 'disable')
    throw new UpstreamTargetError('tls.mode disable contradicts an https address; use an http:// address');
  return {
    base,
    https,
    host: base.host,
    tls: {
      ...(resolved.caCertificates && resolved.caCertificates.length > 0
        ? { ca: resolved.caCertificates }
        : {}),
      ...(spec.tls?.serverName ? { servername: spec.tls.serverName } : {}),
      // `require` encrypts without checking who answers, as libpq's sslmode=require does.
      rejectUnauthorized: mode !== 'require',
    },
    credentialHeader,
    credentialValue,
  };
}

const defaultPort = (protocol: string): string => (protocol === 'https:' ? '443' : '80');

/**
 * Maps a forward-proxy request (absolute-form target, RFC 9112 §3.2.2, what `HTTP_PROXY` clients
 * send) onto this Connection. The listener serves exactly one upstream, so the request is accepted
 * only when it names the Connection's own host and port; any other host is refused rather than
 * fetched, or the sidecar would become an open proxy around every policy.
 *
 * The agent cannot speak TLS through a plain `HTTP_PROXY` without CONNECT (which is refused: a
 * tunnel hides everything a policy reads), so an `http://host/...` URL without a port also maps
 * onto an `https://host` Connection on its default port: the sidecar makes the TLS connection the
 * agent could not. Returns the origin-form target to forward, or why the host is not served.
 */
export function originForm(
  url: string,
  base: URL,
): { path: string; absolute: boolean } | { refused: string } {
  if (url.startsWith('/')) return { path: url, absolute: false };
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { refused: 'the request target is neither a path nor an absolute URL' };
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
    return { refused: `only http URLs are proxied, not ${parsed.protocol}` };
  // RFC 9110 §4.2.4: userinfo in an http(s) URI is deprecated and a classic way to disguise a host.
  if (parsed.username !== '' || parsed.password !== '')
    return { refused: 'the URL carries userinfo (user@host), which is not proxied' };
  const sameHost = parsed.hostname.toLowerCase() === base.hostname.toLowerCase();
  const port = parsed.port || defaultPort(parsed.protocol);
  const basePort = base.port || defaultPort(base.protocol);
  const upgraded =
    parsed.protocol === 'http:' && parsed.port === '' && base.protocol === 'https:' && base.port === '';
  if (!sameHost || (port !== basePort && !upgraded))
    return { refused: `this proxy only serves ${base.host}, not ${parsed.host}` };
  // Keep the path and query exactly as sent (URL would normalise them): the classifier judges
  // the bytes the upstream will receive.
  const rest = url.slice(url.indexOf('//') + 2);
  const slash = rest.search(/[/?]/);
  const path = slash < 0 ? '/' : rest[slash] === '?' ? `/${rest.slice(slash)}` : rest.slice(slash);
  return { path, absolute: true };
}
