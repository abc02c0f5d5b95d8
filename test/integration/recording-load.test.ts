// 200 concurrent PostgreSQL sessions through the proxy, recorded into a store on a PostgreSQL of
// this file's own: every event of every session lands, in order, with an intact chain. Prints
// (does not assert) events per second shipped and the store's size per 1,000 statements.
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync } from 'node:fs';
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
import { startRecordingStore } from './support/recording-store.js';
import { startProxy, type ProxyUnderTest } from './support/postgres-proxy.js';

const harness = inject('harness');
const DATABASE = 'crewgate_audit';
const SESSIONS = 200;
const STATEMENTS = 10;
const sidecarRole = { name: 'crewgate_sidecar', password: randomBytes(12).toString('hex') };
const dir = mkdtempSync(join(tmpdir(), 'crewgate-recload-'));
let server: PostgresServer & { dir: string };
let admin: pg.Client;
let recording: Recording;
let proxy: ProxyUnderTest;
let token: string;

beforeAll(async () => {
  chmodSync(dir, 0o755);
  const store = await startRecordingStore('recload', { sidecarRole });
  server = store.server;
  const info = server.info;
  const ca = { certificatePem: store.caCertificatePem };
  admin = new pg.Client({
    host: info.host,
    port: info.port,
    user: info.superuser.user,
    password: info.superuser.password,
    database: DATABASE,
  });
  await admin.connect();
  await admin.query(`ALTER DATABASE ${DATABASE} SET synchronous_commit = on`);
  recording = openRecording({
    dir: join(dir, 'spool'),
    fsync: { mode: 'interval', intervalMs: 200 },
    maxBytes: 256 * 1024 * 1024,
    store: {
      host: info.host,
      port: info.port,
      database: DATABASE,
      user: sidecarRole.name,
      password: sidecarRole.password,
      ssl: { ca: [ca.certificatePem] },
    },
    backoff: { initialMs: 20, maxMs: 100 },
  });
  proxy = await startProxy(harness, { recorder: recording.recorder });
  token = await oidcToken(harness.oidc, 'agent-analyst');
}, 60_000);
afterAll(async () => {
  await proxy?.listener.close();
  await recording?.close();
  await admin?.end();
  await server?.stop();
});

async function session(i: number): Promise<void> {
  const c = new pg.Client({
    host: '127.0.0.1',
    port: proxy.listener.port,
    user: 'agent',
    database: 'shop',
    password: token,
  });
  await c.connect();
  for (let s = 0; s < STATEMENTS; s++) {
    if (s === STATEMENTS - 1)
      await c.query('DELETE FROM orders').catch(() => undefined); // refused: needs approval
    else await c.query('SELECT id, full_name, email FROM customers WHERE id = $1', [1 + ((i + s) % 5)]);
  }
  await c.end();
}

describe('200 concurrent sessions', () => {
  it('record without loss; events per second shipped and store size are printed', async () => {
    const started = performance.now();
    await Promise.all(Array.from({ length: SESSIONS }, (_, i) => session(i)));
    const sessionsDone = performance.now();
    const ends = () => proxy.recorder.events.filter((e) => e.type === 'session.end').length;
    while (ends() < SESSIONS) await new Promise((r) => setTimeout(r, 20));
    await recording.shipper.drained(60_000);
    const shippedLive = performance.now();
    const total = proxy.recorder.events.length;

    // Shipping alone: the same load again with the store stopped, then time the drain of the backlog.
    const { rows: before } = await admin.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM recording.events',
    );
    await admin.end();
    await server.kill();
    const from = proxy.recorder.events.length;
    await Promise.all(Array.from({ length: SESSIONS }, (_, i) => session(i)));
    while (ends() < 2 * SESSIONS) await new Promise((r) => setTimeout(r, 20));
    const backlog = proxy.recorder.events.length - from;
    const backlogBytes = recording.spool.depth;
    await server.start();
    const drainStart = performance.now();
    await recording.shipper.drained(120_000);
    const drainMs = performance.now() - drainStart;
    admin = new pg.Client({
      host: server.info.host,
      port: server.info.port,
      user: server.info.superuser.user,
      password: server.info.superuser.password,
      database: DATABASE,
    });
    await admin.connect();

    // Every session's events, complete, in order, chained.
    const { rows } = await admin.query(
      `SELECT session_started, session, seq, time, type, payload, prev_hash, hash FROM recording.event_log ORDER BY session, seq`,
    );
    expect(rows.length).toBe(before[0]!.n + backlog);
    expect(rows.length).toBe(proxy.recorder.events.length);
    const bySession = new Map<string, RecordedEvent[]>();
    for (const r of rows) {
      const list = bySession.get(r.session) ?? [];
      list.push({
        session: r.session,
        seq: r.seq,
        sessionStarted: r.session_started.toISOString(),
        time: r.time.toISOString(),
        type: r.type,
        payload: r.payload,
        prevHash: r.prev_hash,
        hash: r.hash,
      });
      bySession.set(r.session, list);
    }
    expect(bySession.size).toBe(2 * SESSIONS);
    for (const [id, events] of bySession) {
      expect(verifyChain(events), id).toMatchObject({ ok: true, complete: true });
      expect(events.filter((e) => e.type === 'command')).toHaveLength(STATEMENTS);
    }

    await admin.query('VACUUM ANALYZE recording.events');
    const { rows: size } = await admin.query<{ bytes: string; heap: string }>(
      `SELECT sum(pg_total_relation_size(inhrelid))::bigint AS bytes, sum(pg_relation_size(inhrelid))::bigint AS heap
         FROM pg_inherits WHERE inhparent = 'recording.events'::regclass`,
    );
    const statements = 2 * SESSIONS * STATEMENTS;
    const figures = {
      sessions: 2 * SESSIONS,
      statements,
      events: rows.length,
      liveEventsPerSecond: Math.round(total / ((shippedLive - started) / 1000)),
      liveSessionsSeconds: +((sessionsDone - started) / 1000).toFixed(2),
      backlogEvents: backlog,
      backlogSpoolBytes: backlogBytes,
      drainEventsPerSecond: Math.round(backlog / (drainMs / 1000)),
      storeBytesPer1000Statements: Math.round((Number(size[0]!.bytes) / statements) * 1000),
      storeHeapBytesPer1000Statements: Math.round((Number(size[0]!.heap) / statements) * 1000),
      spoolBytesPer1000Statements: Math.round((backlogBytes / (SESSIONS * STATEMENTS)) * 1000),
    };
    process.stdout.write(`\nrecording load figures: ${JSON.stringify(figures)}\n`);
  }, 240_000);
});
