/**
 * A small JSON API on 127.0.0.1 for the HTTP proxy tests and benchmark: a real node:http (or
 * https) server that keeps every request it received (method, URL, headers, body), so a test can
 * assert what reached the upstream, not what the proxy claims it sent.
 */
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { gzipSync } from 'node:zlib';

export interface ReceivedRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

export interface JsonApi {
  /** `http://127.0.0.1:<port>` or `https://localhost:<port>`. */
  url: string;
  port: number;
  received: ReceivedRequest[];
  close(): Promise<void>;
}

export const CUSTOMERS = [
  { id: 1, name: 'Ada Lovelace', email: 'ada@example.com', card: '4111 1111 1111 1111', plan: 'pro' },
  { id: 2, name: 'Alan Turing', email: 'alan@example.com', card: '5500-0000-0000-0004', plan: 'free' },
];

function json(
  res: ServerResponse,
  status: number,
  value: unknown,
  headers: Record<string, string> = {},
): void {
  const body = JSON.stringify(value);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    ...headers,
  });
  res.end(body);
}

function route(req: IncomingMessage, res: ServerResponse, received: ReceivedRequest): void {
  const path = (req.url ?? '/').split('?')[0];
  switch (path) {
    case '/v1/customers':
      return json(res, 200, { customers: CUSTOMERS });
    case '/v1/echo':
      return json(res, 200, received);
    case '/v1/notes':
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(`card on file: ${CUSTOMERS[0]!.card}\n`);
      return;
    case '/v1/gzip': {
      const body = gzipSync(JSON.stringify({ customers: CUSTOMERS }));
      res.writeHead(200, {
        'content-type': 'application/json',
        'content-encoding': 'gzip',
        'content-length': body.length,
      });
      res.end(body);
      return;
    }
    case '/v1/big': {
      const items = Array.from({ length: 2000 }, (_, i) => ({
        i,
        email: `user${i}@example.com`,
        pad: 'x'.repeat(100),
      }));
      return json(res, 200, { items });
    }
    case '/v1/chunked':
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"customers":');
      res.end(`${JSON.stringify(CUSTOMERS)}}`);
      return;
    case '/v1/events': {
      // JSON lines, one customer per line, a line split across writes.
      res.writeHead(200, { 'content-type': 'application/x-ndjson' });
      const text = CUSTOMERS.map((c) => JSON.stringify(c)).join('\n') + '\n';
      res.write(text.slice(0, 20));
      setTimeout(() => res.end(text.slice(20)), 20);
      return;
    }
    case '/v1/broken-events':
      res.writeHead(200, { 'content-type': 'application/x-ndjson' });
      res.end(`${JSON.stringify(CUSTOMERS[0])}\n{"email": "alan@example.com", oops\n`);
      return;
    case '/v1/ping':
      return json(res, 200, { ok: true });
    default:
      return json(res, 200, { ok: true, method: req.method, path });
  }
}

export async function startJsonApi(
  options: {
    tls?: { certificatePem: string; privateKeyPem: string };
    /** Keep what was received (default true); the benchmark turns it off to stay flat in memory. */
    keep?: boolean;
  } = {},
): Promise<JsonApi> {
  const received: ReceivedRequest[] = [];
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const entry = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      if (options.keep !== false) received.push(entry);
      route(req, res, entry);
    });
  };
  const server = options.tls
    ? createHttpsServer({ cert: options.tls.certificatePem, key: options.tls.privateKeyPem }, handler)
    : createHttpServer(handler);
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: options.tls ? `https://localhost:${port}` : `http://127.0.0.1:${port}`,
    port,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
