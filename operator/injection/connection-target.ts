/**
 * Reads a Connection's `spec.address` (host:port for postgres and ssh, a base URL for kubernetes and
 * http) into host and port, so the webhook shell can build InjectionGrants and transparent mode can
 * tell an IP literal from a DNS name.
 */
import { isIP } from 'node:net';
import type { ConnectionSpec } from '../../crds/schemas/connection.js';
import type { ConnectionTarget } from './grants.js';

const DEFAULT_PORTS: Record<ConnectionSpec['type'], number> = {
  postgres: 5432,
  ssh: 22,
  kubernetes: 443,
  http: 80,
};

/** The target of a Connection spec, or why its address cannot be read. */
export function connectionTarget(
  spec: Pick<ConnectionSpec, 'type' | 'address' | 'database'>,
): { ok: true; target: ConnectionTarget } | { ok: false; message: string } {
  const parsed = parseAddress(spec.address, DEFAULT_PORTS[spec.type]);
  if (typeof parsed === 'string') return { ok: false, message: parsed };
  return {
    ok: true,
    target: {
      type: spec.type,
      address: parsed.host,
      port: parsed.port,
      ...(spec.database !== undefined ? { database: spec.database } : {}),
    },
  };
}

/**
 * `host`, `host:port`, `[v6]:port`, a bare IPv6 literal, or a URL (`https://10.96.0.1:443/`, the
 * default port from the scheme). Returns an error message for anything else.
 */
export function parseAddress(address: string, defaultPort: number): { host: string; port: number } | string {
  const text = address.trim();
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      return `address "${address}" is not a valid URL`;
    }
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    if (host === '') return `address "${address}" has no host`;
    const schemePort = url.protocol === 'https:' ? 443 : url.protocol === 'http:' ? 80 : defaultPort;
    return { host, port: url.port === '' ? schemePort : Number(url.port) };
  }
  if (isIP(text) === 6) return { host: text, port: defaultPort };
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  if (bracketed) {
    const [, host = '', port] = bracketed;
    if (isIP(host) !== 6) return `address "${address}": "${host}" is not an IPv6 address`;
    return withPort(address, host, port, defaultPort);
  }
  const hostPort = /^([^:/\s]+)(?::(\d+))?$/.exec(text);
  if (hostPort) {
    const [, host = '', port] = hostPort;
    return withPort(address, host, port, defaultPort);
  }
  return `address "${address}" is neither host:port nor a URL`;
}

function withPort(
  address: string,
  host: string,
  port: string | undefined,
  defaultPort: number,
): { host: string; port: number } | string {
  if (port === undefined) return { host, port: defaultPort };
  const n = Number(port);
  if (!Number.isInteger(n) || n < 1 || n > 65535) return `address "${address}": port ${port} is out of range`;
  return { host, port: n };
}

/** True when `host` is an IP literal that iptables can match; false for a DNS name. */
export function isIpLiteral(host: string): boolean {
  return isIP(host) !== 0;
}
