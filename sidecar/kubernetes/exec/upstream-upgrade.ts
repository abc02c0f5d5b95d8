/**
 * Opens the upgraded connection to the API server ourselves (generic HTTP proxies destroy SPDY
 * upgrades): TLS (or TCP for an http:// Connection) to the API server, the client's request head
 * rewritten with the Connection's credentials, and the API server's response head read back.
 * The agent's own `Authorization`, cookies and `Impersonate-*` never reach the API server; only
 * the upstream's own impersonation headers do, when the Connection asks for them.
 */
import type { IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import { isIP, connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { upstreamRequestHeaders } from '../headers.js';
import type { KubernetesUpstream } from '../upstream.js';

export class UpstreamUpgradeError extends Error {
  override name = 'UpstreamUpgradeError';
}

export interface UpstreamUpgradeResponse {
  socket: Socket;
  status: number;
  headers: Map<string, string[]>;
  /** The response head exactly as the API server sent it, ending with CRLF CRLF. */
  rawHead: Buffer;
  /** Bytes after the head (the start of the upgraded stream, or of an error body). */
  rest: Buffer;
}

const MAX_RESPONSE_HEAD = 64 * 1024;

/** `requestTarget` under the Connection's base path (`https://host:6443` has the path `/`, which adds nothing). */
export function upstreamTarget(upstream: KubernetesUpstream, requestTarget: string): string {
  return `${upstream.baseUrl.pathname.replace(/\/+$/, '')}${requestTarget}`;
}

/** The request head toward the API server: credentials last, so no client header overrides them. */
export function upgradeRequestHead(
  req: IncomingMessage,
  upstream: KubernetesUpstream,
  upgrade: string,
  /** Replace the client's header of the same name (e.g. the one subprotocol crewgate can record). */
  overrides: OutgoingHttpHeaders = {},
): string {
  const headers: OutgoingHttpHeaders = {
    ...upstreamRequestHeaders(req.headers, { dropAcceptEncoding: false }),
    ...overrides,
    host: upstream.baseUrl.host,
    connection: 'Upgrade',
    upgrade,
    ...upstream.authHeaders(),
  };
  const path = upstreamTarget(upstream, req.url ?? '/');
  const lines = [`${req.method ?? 'GET'} ${path} HTTP/1.1`];
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [String(value)]) {
      if (/[\r\n]/.test(v) || /[\r\n:]/.test(name))
        throw new UpstreamUpgradeError(`header ${name} is not valid`);
      lines.push(`${name}: ${v}`);
    }
  }
  return `${lines.join('\r\n')}\r\n\r\n`;
}

function parseResponseHead(raw: Buffer): { status: number; headers: Map<string, string[]> } {
  const lines = raw.toString('latin1').split('\r\n');
  const statusLine = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '');
  if (!statusLine) throw new UpstreamUpgradeError('the API server did not answer with HTTP/1.1');
  const headers = new Map<string, string[]>();
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    headers.set(name, [...(headers.get(name) ?? []), line.slice(colon + 1).trim()]);
  }
  return { status: Number(statusLine[1]), headers };
}

/** Connects, sends the head and resolves with the API server's response head. */
export function openUpstreamUpgrade(
  req: IncomingMessage,
  upstream: KubernetesUpstream,
  upgrade: string,
  options: { signal?: AbortSignal; timeoutMs?: number; headers?: OutgoingHttpHeaders } = {},
): Promise<UpstreamUpgradeResponse> {
  const head = upgradeRequestHead(req, upstream, upgrade, options.headers);
  const url = upstream.baseUrl;
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  const host = url.hostname.replace(/^\[|\]$/g, '');
  return new Promise((resolve, reject) => {
    const socket: Socket =
      url.protocol === 'https:'
        ? tlsConnect({
            host,
            port,
            ...(upstream.caCertificates ? { ca: upstream.caCertificates } : {}),
            ...(upstream.servername
              ? { servername: upstream.servername }
              : isIP(host) === 0
                ? { servername: host }
                : {}),
            rejectUnauthorized: upstream.rejectUnauthorized,
            ALPNProtocols: ['http/1.1'],
          })
        : netConnect({ host, port });
    let received = Buffer.alloc(0);
    const timer = setTimeout(
      () => fail(new UpstreamUpgradeError('the API server did not answer the upgrade in time')),
      options.timeoutMs ?? 30_000,
    );
    const onAbort = () => fail(new UpstreamUpgradeError('the client went away'));
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const cleanup = () => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      socket.off('data', onData);
      socket.off('error', fail);
      socket.off('close', onClose);
    };
    function fail(error: Error) {
      cleanup();
      socket.destroy();
      reject(error);
    }
    const onClose = () =>
      fail(new UpstreamUpgradeError('the API server closed the connection before answering'));
    function onData(chunk: Buffer) {
      received = Buffer.concat([received, chunk]);
      const end = received.indexOf('\r\n\r\n');
      if (end < 0) {
        if (received.length > MAX_RESPONSE_HEAD)
          fail(new UpstreamUpgradeError('the response head is too large'));
        return;
      }
      cleanup();
      try {
        const rawHead = received.subarray(0, end + 4);
        const parsed = parseResponseHead(rawHead);
        resolve({ socket, ...parsed, rawHead, rest: received.subarray(end + 4) });
      } catch (error) {
        socket.destroy();
        reject(error instanceof Error ? error : new UpstreamUpgradeError(String(error)));
      }
    }
    socket.on('data', onData);
    socket.on('error', fail);
    socket.on('close', onClose);
    socket.write(head);
  });
}
