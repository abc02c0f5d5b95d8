// Recording under faults, with a store on a PostgreSQL of this file's own: the store going away
// during a busy session (nothing lost, order kept, chain intact), a tiny spool bound (new commands
// refused once full, allowed again once shipping resumes), and the sidecar process killed with
// SIGKILL mid-session and restarted on the same spool (what it spooled is shipped).
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  openRecording,
  verifyChain,
  type RecordedEvent,
  type Recording,
} from '../../sidecar/recording/index.js';
import { oidcToken } from '../harness/oidc-token.js';
import type { PostgresServer } from '../harness/postgres.js';
import {
  asStoreAdmin,
  startRecordingStore,
  storedEvents as storedEventsOf,
} from './support/recording-store.js';
import { startProxy, type ProxyUnderTest } from './support/postgres-proxy.js';
import { startSidecarProcess, writeShopSidecarConfig } from './support/sidecar-process.js';

const harness = inject('harness');
const DATABASE = 'crewgate_audit';
const sidecarRole = { name: 'crewgate_sidecar', password: randomBytes(12).toString('hex') };
const dir = mkdtempSync(join(tmpdir(), 'crewgate-recfault-'));
let server: PostgresServer & { dir: string };
let token: string;

const storeOptions = () => ({
  host: server.info.host,
  port: server.info.port,
  database: DATABASE,
  user: sidecarRole.name,
  password: sidecarRole.password,
});

const withAdmin = <T>(f: (c: pg.Client) => Promise<T>): Promise<T> => asStoreAdmin(server, f);

async function storedEvents(session: string): Promise<RecordedEvent[]> {
  return withAdmin((c) => storedEventsOf(c, session));
}

async function until(
  what: string,
  predicate: () => Promise<boolean> | boolean,
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

beforeAll(async () => {
  server = (await startRecordingStore('recfault', { sidecarRole, durable: true })).server;
  token = await oidcToken(harness.oidc, 'agent-analyst');
}, 60_000);
afterAll(async () => {
  await server?.stop();
});

describe('the store goes away', () => {
  let recording: Recording;
  let proxy: ProxyUnderTest;

  beforeAll(async () => {
    recording = openRecording({
      dir: join(dir, 'spool-outage'),
      fsync: { mode: 'interval', intervalMs: 100 },
      maxBytes: 64 * 1024 * 1024,
      store: storeOptions(),
      backoff: { initialMs: 50, maxMs: 300 },
    });
    proxy = await startProxy(harness, { recorder: recording.recorder });
  });
  afterAll(async () => {
    await proxy?.listener.close();
    await recording?.close();
  });

  it('during a busy session: zero events lost, order kept, the chain verifies', async () => {
    const c = new pg.Client({
      host: '127.0.0.1',
      port: proxy.listener.port,
      user: 'agent',
      database: 'shop',
      password: token,
    });
    await c.connect();
    let statements = 0;
    const busy = async (n: number) => {
      for (let i = 0; i < n; i++, statements++)
        await c.query('SELECT id, email FROM customers WHERE id = $1', [1 + (i % 5)]);
    };
    await busy(50);
    await server.kill();
    await busy(150); // the agent is not blocked: the spool takes it
    expect(recording.spool.depth).toBeGreaterThan(0);
    await server.start();
    await busy(50);
    await c.end();
    const session = await new Promise<string>((resolve) => {
      const check = () => {
        const end = proxy.recorder.events.find((e) => e.type === 'session.end');
        if (end) resolve(end.session);
        else setTimeout(check, 20);
      };
      check();
    });
    await recording.shipper.drained(20_000);
    const recorded = proxy.recorder.events.filter((e) => e.session === session);
    const stored = await storedEvents(session);
    expect(stored).toHaveLength(recorded.length);
    expect(stored.filter((e) => e.type === 'command')).toHaveLength(statements);
    expect(stored.map((e) => e.type)).toEqual(recorded.map((e) => e.type));
    expect(verifyChain(stored)).toMatchObject({ ok: true, complete: true });
    expect(recording.shipper.lastError).toBeUndefined();
  });
});

describe('a tiny spool bound', () => {
  it('refuses new commands once the spool is full, and allows them again once shipping resumes', async () => {
    const recording = openRecording({
      dir: join(dir, 'spool-tiny'),
      fsync: { mode: 'always' },
      maxBytes: 8 * 1024,
      store: storeOptions(),
      backoff: { initialMs: 50, maxMs: 300 },
    });
    const proxy = await startProxy(harness, { recorder: recording.recorder });
    const c = new pg.Client({
      host: '127.0.0.1',
      port: proxy.listener.port,
      user: 'agent',
      database: 'shop',
      password: token,
    });
    try {
      await c.connect();
      await c.query('SELECT 1');
      await recording.shipper.drained(5_000);
      await server.kill();
      let allowed = 0;
      let refusal: pg.DatabaseError | undefined;
      for (let i = 0; i < 500 && !refusal; i++) {
        const r = await c.query('SELECT count(*) FROM orders').catch((e: unknown) => e as pg.DatabaseError);
        if (r instanceof Error) refusal = r as pg.DatabaseError;
        else allowed++;
      }
      expect(allowed).toBeGreaterThan(0);
      expect(refusal?.code).toBe('42501');
      expect(refusal?.message).toMatch(
        /recording is unavailable, so no new command may run: the recording spool holds \d+ bytes not yet shipped .*bound 8192/,
      );
      // Still refused while the store is down; the session itself stays usable and recorded.
      expect(await c.query('SELECT 1').catch((e: unknown) => (e as Error).message)).toMatch(
        /recording is unavailable/,
      );

      await server.start();
      await recording.shipper.drained(20_000);
      expect((await c.query('SELECT 1 AS one')).rows[0].one).toBe(1);
      await c.end();
      await until('the session end to be shipped', async () => {
        const end = proxy.recorder.events.find((e) => e.type === 'session.end');
        return end !== undefined && (await storedEvents(end.session)).some((e) => e.type === 'session.end');
      });
      const session = proxy.recorder.events[0]!.session;
      const stored = await storedEvents(session);
      expect(stored).toHaveLength(proxy.recorder.events.filter((e) => e.session === session).length);
      expect(verifyChain(stored)).toMatchObject({ ok: true, complete: true });
      const denied = stored.filter(
        (e) =>
          e.type === 'command' && (e.payload as { decision: { action: string } }).decision.action === 'Deny',
      );
      expect(denied.length).toBeGreaterThanOrEqual(2);
    } finally {
      await proxy.listener.close();
      await recording.close();
    }
  });
});

describe('the sidecar process is killed', () => {
  it('with SIGKILL mid-session; restarted on the same spool, it ships what it had spooled', async () => {
    const spoolDir = join(dir, 'spool-sidecar');
    writeFileSync(join(dir, 'store.password'), sidecarRole.password, { mode: 0o600 });
    const config = writeShopSidecarConfig(harness, dir, {
      recording: {
        spoolDir,
        spoolMaxBytes: 16 * 1024 * 1024,
        fsync: 'interval',
        intervalMs: 100,
        store: {
          host: '127.0.0.1',
          port: server.info.port,
          database: DATABASE,
          user: sidecarRole.name,
          passwordFile: join(dir, 'store.password'),
          tls: { mode: 'verify-full', caFile: join(server.dir, 'ca.crt') },
        },
      },
    });
    // The store is down while the first sidecar runs, so everything it records stays in its spool.
    await server.kill();
    const first = await startSidecarProcess(config);
    const c = new pg.Client({
      host: '127.0.0.1',
      port: first.port,
      user: 'agent',
      database: 'shop',
      password: token,
    });
    c.on('error', () => undefined);
    await c.connect();
    for (let i = 0; i < 20; i++)
      await c.query('SELECT full_name FROM customers WHERE id = $1', [1 + (i % 5)]);
    await c.query('DROP TABLE customers').catch(() => undefined);
    first.child.kill('SIGKILL');
    await new Promise((r) => first.child.once('exit', r));
    await c.end().catch(() => undefined);

    const spooled = readdirSync(spoolDir)
      .filter((f) => f.startsWith('segment-'))
      .flatMap((f) => readFileSync(join(spoolDir, f), 'utf8').split('\n').filter(Boolean))
      .map((l) => JSON.parse(l) as RecordedEvent);
    const session = spooled[0]!.session;
    expect(spooled.filter((e) => e.type === 'command')).toHaveLength(21);
    expect(spooled.some((e) => e.type === 'session.end')).toBe(false);

    await server.start();
    const second = await startSidecarProcess(config);
    try {
      await until(
        'the killed sidecar’s events to reach the store',
        async () => (await storedEvents(session)).length === spooled.length,
        20_000,
      );
      const stored = await storedEvents(session);
      expect(stored.map((e) => e.hash)).toEqual(spooled.map((e) => e.hash));
      expect(verifyChain(stored)).toMatchObject({ ok: true, complete: false });
      // The restarted sidecar records and ships its own sessions too.
      const ended = async () =>
        (
          await withAdmin((a) =>
            a.query<{ n: number }>(
              `SELECT count(*)::int AS n FROM recording.events WHERE type = 'session.end'`,
            ),
          )
        ).rows[0]!.n;
      const endedBefore = await ended();
      const again = new pg.Client({
        host: '127.0.0.1',
        port: second.port,
        user: 'agent',
        database: 'shop',
        password: token,
      });
      await again.connect();
      await again.query('SELECT 1');
      await again.end();
      await until('the new session to be shipped', async () => (await ended()) > endedBefore);
    } finally {
      second.child.kill('SIGTERM');
      await new Promise((r) => second.child.once('exit', r));
    }
  });
});
