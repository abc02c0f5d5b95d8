import { createHash } from 'node:crypto';
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer, request as tlsRequest } from 'node:https';
import { connect, type AddressInfo } from 'node:net';
import { createCertificateAuthority, issueCertificate } from '../../operator/pki/certificates.js';
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_BUFFERED_BYTES, relayBody } from './relay.js';

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(
    servers.splice(0).map((s) => {
      s.closeAllConnections();
      return new Promise((r) => s.close(r));
    }),
  );
});

async function listen(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<number> {
  const server = createServer(handler);
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as AddressInfo).port;
}

/**
 * A proxy in front of `upstreamPort` that relays every answer with relayBody, as the listener does,
 * counting the writes its client sockets hand the kernel (`_write`/`_writev`, one syscall each).
 */
async function relayingProxy(
  upstreamPort: number,
  tls?: { ca: string },
): Promise<{ port: number; socketWrites: () => number }> {
  let writes = 0;
  const port = await listen((req, res) => {
    const socket = res.socket as unknown as Record<'_write' | '_writev', (...args: unknown[]) => void>;
    for (const method of ['_write', '_writev'] as const) {
      const original = socket[method].bind(socket);
      socket[method] = (...args: unknown[]) => {
        writes++;
        original(...args);
      };
    }
    const send = tls ? tlsRequest : request;
    send({ host: '127.0.0.1', port: upstreamPort, path: req.url, ...(tls ? { ca: tls.ca } : {}) }, (ures) => {
      res.writeHead(ures.statusCode ?? 502, { 'content-type': 'text/plain' });
      relayBody(ures, res, (error) => (error ? res.destroy() : undefined), {
        flushHeaders: ures.headers['content-length'] === undefined,
      });
    }).end();
  });
  return { port, socketWrites: () => writes };
}

/** The raw bytes of one HTTP/1.1 GET, read to the server's close. */
function rawGet(port: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () =>
      socket.write('GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'),
    );
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('end', () => resolve(Buffer.concat(chunks)));
    socket.on('error', reject);
  });
}

/** The chunks of a chunked body: their sizes and the body they make. */
function dechunk(raw: Buffer): { sizes: number[]; body: Buffer } {
  let at = raw.indexOf('\r\n\r\n') + 4;
  const sizes: number[] = [];
  const parts: Buffer[] = [];
  for (;;) {
    const eol = raw.indexOf('\r\n', at);
    const size = parseInt(raw.subarray(at, eol).toString('latin1'), 16);
    if (size === 0) break;
    sizes.push(size);
    parts.push(raw.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
  return { sizes, body: Buffer.concat(parts) };
}

describe('relayBody', () => {
  it('hands the kernel what arrived in one turn in one write, not one write per TLS record', async () => {
    // The API server speaks TLS, and Node delivers each decrypted record in a callback of its own.
    const ca = await createCertificateAuthority('relay-test-ca');
    const serving = await issueCertificate(ca, {
      commonName: 'upstream',
      ipAddresses: ['127.0.0.1'],
      usage: 'server',
      validDays: 1,
    });
    const server = createTlsServer(
      { cert: serving.certificatePem, key: serving.privateKeyPem },
      (_req, res) => {
        res.writeHead(200);
        res.cork();
        // 300 pieces written at once: 300 TLS records, arriving at the proxy in a few reads.
        for (let i = 0; i < 300; i++) res.write(Buffer.alloc(1000, 'a'));
        res.end();
      },
    );
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const proxy = await relayingProxy((server.address() as AddressInfo).port, { ca: ca.certificatePem });
    const raw = await rawGet(proxy.port);
    const { body } = dechunk(raw);
    expect(body.equals(Buffer.alloc(300_000, 'a'))).toBe(true);
    // The head, the pieces and the terminator: a handful of writes, not one per record.
    // (A nextTick flush, which ran after each socket read of the upstream, made 20 here.)
    expect(proxy.socketWrites()).toBeLessThan(8);
  });

  it("sends a streamed answer's head at once, before its first body byte", async () => {
    let release: () => void = () => undefined;
    const upstream = await listen((_req, res) => {
      res.writeHead(200);
      res.flushHeaders();
      release = () => res.end('late\n');
    });
    const { port } = await relayingProxy(upstream);
    const status = await new Promise<number>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path: '/' }, (res) => {
        resolve(res.statusCode ?? 0);
        res.resume();
      });
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(200);
    release();
  });

  it('pauses the upstream while a slow client has not read, and delivers every byte after', async () => {
    const total = 96 * 1024 * 1024;
    const block = Buffer.alloc(64 * 1024, 7);
    let written = 0;
    const upstream = await listen((_req, res) => {
      res.writeHead(200);
      const more = () => {
        while (written < total) {
          written += block.length;
          if (!res.write(block)) return void res.once('drain', more);
        }
        res.end();
      };
      more();
    });
    const { port } = await relayingProxy(upstream);
    const { received, digest, writtenWhileStalled } = await new Promise<{
      received: number;
      digest: string;
      writtenWhileStalled: number;
    }>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path: '/' }, (res) => {
        const hash = createHash('sha256');
        let received = 0;
        let writtenWhileStalled = 0;
        res.pause();
        setTimeout(() => {
          writtenWhileStalled = written;
          res.on('data', (c: Buffer) => {
            received += c.length;
            hash.update(c);
          });
          res.resume();
        }, 500);
        res.on('end', () => resolve({ received, digest: hash.digest('hex'), writtenWhileStalled }));
      });
      req.on('error', reject);
      req.end();
    });
    // What the kernel's socket buffers hold on two loopback hops, plus the relay's own bound.
    expect(writtenWhileStalled).toBeLessThan(total / 2);
    expect(writtenWhileStalled).toBeGreaterThan(MAX_BUFFERED_BYTES / 2);
    expect(received).toBe(total);
    const expected = createHash('sha256');
    for (let i = 0; i < total / block.length; i++) expected.update(block);
    expect(digest).toBe(expected.digest('hex'));
  }, 30_000);
});
