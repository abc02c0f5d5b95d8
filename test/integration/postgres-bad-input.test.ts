// Bad input and faults: each closes only its own connection with a protocol-native error, and the
// proxy keeps serving everyone else. The database restart uses a PostgreSQL of this file's own.
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import fc from 'fast-check';
import pg from 'pg';
import { serialize } from 'pg-protocol';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { oidcToken } from '../harness/oidc-token.js';
import type { PostgresServer } from '../harness/postgres.js';
import { startPrivatePostgres } from '../harness/private-postgres.js';
import { startProxy, type ProxyUnderTest } from './support/postgres-proxy.js';

const harness = inject('harness');
let proxy: ProxyUnderTest;
let token: string;

beforeAll(async () => {
  proxy = await startProxy(harness);
  token = await oidcToken(harness.oidc, 'agent-analyst');
});
afterAll(async () => {
  await proxy?.listener.close();
});

/**
 * Sends raw bytes, returns everything the proxy answered before it closed (or `waitMs` passed).
 * With `stepwise`, each chunk after the first waits for an answer to the one before.
 */
function exchange(
  port: number,
  chunks: Buffer[],
  waitMs = 2_000,
  stepwise = false,
): Promise<{ bytes: Buffer; closed: boolean }> {
  return new Promise((resolve) => {
    const socket: Socket = connect(port, '127.0.0.1');
    const received: Buffer[] = [];
    let closed = false;
    const pending = [...chunks];
    socket.on('data', (c: Buffer) => {
      received.push(c);
      if (stepwise && pending.length > 0) socket.write(pending.shift()!);
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      closed = true;
      clearTimeout(timer);
      resolve({ bytes: Buffer.concat(received), closed });
    });
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ bytes: Buffer.concat(received), closed });
    }, waitMs);
    socket.on('connect', () => {
      if (stepwise) socket.write(pending.shift()!);
      else for (const c of pending.splice(0)) socket.write(c);
    });
  });
}

/** The SQLSTATE and message of the first ErrorResponse in a byte stream. */
function firstError(bytes: Buffer): { severity?: string; code?: string; message?: string } | undefined {
  let offset = 0;
  while (offset + 5 <= bytes.length) {
    const type = bytes[offset]!;
    const length = bytes.readInt32BE(offset + 1);
    if (type === 0x45) {
      const fields: Record<string, string> = {};
      let p = offset + 5;
      while (bytes[p] !== 0 && p < offset + 1 + length) {
        const code = String.fromCharCode(bytes[p]!);
        const end = bytes.indexOf(0, p + 1);
        fields[code] = bytes.toString('utf8', p + 1, end);
        p = end + 1;
      }
      return { severity: fields.S, code: fields.C, message: fields.M };
    }
    if (type === 0x4e /* N */ || type === 0x53 || type === 0x52 || type === 0x4b || type === 0x5a) {
      offset += length + 1;
      continue;
    }
    // An answer to SSLRequest is a single byte.
    offset += 1;
  }
  return undefined;
}

async function stillServes(): Promise<void> {
  const c = new pg.Client({
    host: '127.0.0.1',
    port: proxy.listener.port,
    user: 'agent',
    database: 'shop',
    password: token,
  });
  await c.connect();
  expect((await c.query('SELECT 1 AS one')).rows[0].one).toBe(1);
  await c.end();
}

describe('bad input closes only its own connection', () => {
  it('a 2 GB length header in the startup packet', async () => {
    const { bytes, closed } = await exchange(proxy.listener.port, [
      Buffer.from([0x7f, 0xff, 0xff, 0xff, 0, 3, 0, 0]),
    ]);
    expect(closed).toBe(true);
    expect(firstError(bytes)).toMatchObject({
      severity: 'FATAL',
      code: '08P01',
      message: expect.stringMatching(/exceeds the limit/),
    });
    await stillServes();
  });

  it('a 2 GB typed message after authentication', async () => {
    const startup = serialize.startup({ user: 'agent', database: 'shop' });
    const { bytes, closed } = await exchange(proxy.listener.port, [
      startup,
      serialize.password(token),
      Buffer.from([0x51, 0x7f, 0xff, 0xff, 0xff]),
    ]);
    expect(closed).toBe(true);
    expect(firstError(bytes)).toMatchObject({ severity: 'FATAL', code: '54000' });
    await stillServes();
  });

  it('a truncated startup packet, then the client goes away', async () => {
    const startup = serialize.startup({ user: 'agent', database: 'shop' });
    const { bytes } = await exchange(proxy.listener.port, [startup.subarray(0, 10)], 500);
    expect(bytes.length).toBe(0);
    await stillServes();
  });

  it('garbage after SSL negotiation', async () => {
    const sslRequest = Buffer.from([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f]);
    const { bytes, closed } = await exchange(
      proxy.listener.port,
      [sslRequest, Buffer.from('\x16\x03\x01 not a startup packet at all')],
      2_000,
      true,
    );
    expect(bytes[0]).toBe(0x4e); // 'N': this listener has no TLS
    expect(closed).toBe(true);
    expect(firstError(bytes.subarray(1))).toMatchObject({ severity: 'FATAL' });
    await stillServes();
  });

  it('bytes sent together with SSLRequest before the answer (CVE-2021-23214) are refused', async () => {
    const sslRequest = Buffer.from([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f]);
    const { bytes, closed } = await exchange(proxy.listener.port, [
      Buffer.concat([sslRequest, serialize.startup({ user: 'x' })]),
    ]);
    expect(closed).toBe(true);
    expect(firstError(bytes)).toMatchObject({
      severity: 'FATAL',
      message: expect.stringMatching(/unexpected data after SSLRequest/),
    });
  });

  it('fuzzed frames after authentication never crash the proxy (property)', async () => {
    const startup = Buffer.concat([
      serialize.startup({ user: 'agent', database: 'shop' }),
      serialize.password(token),
    ]);
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 200 }), async (garbage) => {
        const { bytes } = await exchange(proxy.listener.port, [startup, Buffer.from(garbage)], 300);
        // Either a protocol-native answer or silence; never a crash (checked below by serving again).
        expect(bytes.length).toBeGreaterThanOrEqual(0);
      }),
      { numRuns: 25 },
    );
    await stillServes();
  });
});

describe('faults', () => {
  let database: PostgresServer;
  let faultProxy: ProxyUnderTest;

  beforeAll(async () => {
    database = await startPrivatePostgres('pgfault');
    const info = database.info;
    faultProxy = await startProxy(harness, {
      listener: {
        upstream: async () => ({
          host: info.host,
          port: info.port,
          database: info.database,
          user: info.app.user,
          password: info.app.password,
          tls: { mode: 'verify-full', ca: [readFileSync(info.caCertificateFile, 'utf8')] },
        }),
      },
    });
  }, 60_000);
  afterAll(async () => {
    await faultProxy?.listener.close();
    await database?.stop();
  });

  it('the database restarting mid-session: the client gets an error, new sessions work after', async () => {
    const c = new pg.Client({
      host: '127.0.0.1',
      port: faultProxy.listener.port,
      user: 'agent',
      database: 'shop',
      password: token,
    });
    const errors: Error[] = [];
    c.on('error', (e) => errors.push(e));
    await c.connect();
    expect((await c.query('SELECT count(*)::int AS n FROM orders')).rows[0].n).toBe(6);

    await database.kill();
    const failed = await c.query('SELECT 1').catch((e: unknown) => e as Error);
    expect(failed).toBeInstanceOf(Error);

    // While the database is down, a new session is refused with a FATAL naming the connection.
    const refused = new pg.Client({
      host: '127.0.0.1',
      port: faultProxy.listener.port,
      user: 'agent',
      database: 'shop',
      password: token,
    });
    refused.on('error', () => undefined);
    const refusal = (await refused.connect().catch((e: unknown) => e)) as pg.DatabaseError;
    expect(refusal.message).toMatch(/cannot open a session on shop-db/);

    await database.start();
    const fresh = new pg.Client({
      host: '127.0.0.1',
      port: faultProxy.listener.port,
      user: 'agent',
      database: 'shop',
      password: token,
    });
    await fresh.connect();
    expect((await fresh.query('SELECT count(*)::int AS n FROM orders')).rows[0].n).toBe(6);
    await fresh.end();
  });
});

describe('FunctionCall (the fastpath interface)', () => {
  it('is denied with 42501 unless a rule allows it, and the session goes on', async () => {
    const socket = connect(proxy.listener.port, '127.0.0.1');
    const received: Buffer[] = [];
    const waitFor = (predicate: (all: Buffer) => boolean) =>
      new Promise<Buffer>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`timed out; got ${Buffer.concat(received).toString('latin1')}`)),
          5_000,
        );
        const check = () => {
          const all = Buffer.concat(received);
          if (predicate(all)) {
            clearTimeout(timer);
            socket.off('data', onData);
            resolve(all);
          }
        };
        const onData = (c: Buffer) => {
          received.push(c);
          check();
        };
        socket.on('data', onData);
        check();
      });
    const endsWithReady = (all: Buffer) => all.length >= 6 && all[all.length - 6] === 0x5a;
    await new Promise((r) => socket.once('connect', r));
    socket.write(
      Buffer.concat([serialize.startup({ user: 'agent', database: 'shop' }), serialize.password(token)]),
    );
    await waitFor(endsWithReady);
    received.length = 0;
    // FunctionCall: oid 2255 (pg_cancel_backend... any oid), no argument formats, no arguments, text result.
    const call = Buffer.alloc(1 + 4 + 4 + 2 + 2 + 2);
    call.write('F', 0, 'latin1');
    call.writeInt32BE(call.length - 1, 1);
    call.writeInt32BE(2255, 5);
    socket.write(call);
    const answer = await waitFor(endsWithReady);
    expect(firstError(answer)).toMatchObject({ severity: 'ERROR', code: '42501' });
    received.length = 0;
    socket.write(serialize.query('SELECT 1'));
    const next = await waitFor(endsWithReady);
    expect(next.includes(Buffer.from('SELECT 1'))).toBe(true);
    socket.destroy();
  });
});
