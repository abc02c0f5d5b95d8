/**
 * Where a Connection's target listens, for the reachability probe: `host:port` for postgres and
 * ssh, the base URL's host and port (or the scheme's default) for kubernetes and http. Pure.
 */
import type { ConnectionSpec } from '../../crds/schemas/connection.js';

export interface Endpoint {
  host: string;
  port: number;
}

const DEFAULT_PORTS: Record<ConnectionSpec['type'], number> = {
  postgres: 5432,
  ssh: 22,
  kubernetes: 443,
  http: 80,
};

/** The endpoint to probe, or a reason the address cannot be read as one. */
export function targetEndpoint(spec: Pick<ConnectionSpec, 'type' | 'address'>): Endpoint | { error: string } {
  if (spec.type === 'kubernetes' || spec.type === 'http') {
    let url: URL;
    try {
      url = new URL(spec.address);
    } catch {
      return { error: `address ${JSON.stringify(spec.address)} is not a URL` };
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:')
      return { error: `address ${JSON.stringify(spec.address)} is not an http(s) URL` };
    const port = url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
    // URL keeps IPv6 literals bracketed; net.connect wants them bare.
    return { host: url.hostname.replace(/^\[(.*)\]$/, '$1'), port };
  }
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+))(?::(\d{1,5}))?$/.exec(spec.address);
  if (!match) return { error: `address ${JSON.stringify(spec.address)} is not host:port` };
  const port = match[3] ? Number(match[3]) : DEFAULT_PORTS[spec.type];
  if (port < 1 || port > 65535) return { error: `port ${port} is out of range` };
  return { host: (match[1] ?? match[2])!, port };
}
