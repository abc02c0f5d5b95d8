// The recording store on a PostgreSQL of this file's own: migrations are idempotent, the sidecar
// role may only INSERT (UPDATE, DELETE, SELECT, TRUNCATE refused with 42501), a re-shipped batch
// does not duplicate, retention is a partition drop, and an edited event fails `crewgate verify`.
import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  migrate,
  provisionStore,
  listPartitions,
  ensurePartitions,
  dropPartitionsBefore,
  partitionName,
} from '../../operator/recording-store/index.js';
import type { SessionEvent } from '../../sidecar/enforcement/recorder.js';
import {
  parseSpoolLine,
  PgEventStore,
  sealEvent,
  sealEventToLine,
  sealTerminalToLine,
  type ChainLink,
  type RecordedEvent,
} from '../../sidecar/recording/index.js';
import { repositoryRoot } from '../harness/paths.js';
import type { PostgresServer } from '../harness/postgres.js';
import { startRecordingStore } from './support/recording-store.js';

const run = promisify(execFile);
const DATABASE = 'crewgate_audit';
let server: PostgresServer & { dir: string };
const sidecarRole = { name: 'crewgate_sidecar', password: randomBytes(12).toString('hex') };
const readerRole = { name: 'crewgate_reader', password: randomBytes(12).toString('hex') };
let admin: pg.Client;
let readerUrl: string;

const connect = async (user: { name: string; password: string } | 'admin') => {
  const info = server.info;
  const c = new pg.Client({
    host: info.host,
    port: info.port,
    database: DATABASE,
    ...(user === 'admin'
      ? { user: info.superuser.user, password: info.superuser.password }
      : { user: user.name, password: user.password }),
  });
  await c.connect();
  return c;
};

const crewgate = (...args: string[]) =>
  run(process.execPath, ['--import', 'tsx', join(repositoryRoot, 'operator/cli/crewgate.ts'), ...args], {
    env: { ...process.env, CREWGATE_STORE_URL: readerUrl },
  }).then(
    (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({
      code: e.code,
      stdout: e.stdout,
      stderr: e.stderr,
    }),
  );

function session(id: string, t0: number, list: SessionEvent[]): RecordedEvent[] {
  const out: RecordedEvent[] = [];
  list.forEach((e, i) => out.push(sealEvent(id, e, new Date(t0 + i), out.at(-1))));
  return out;
}
const sample: SessionEvent[] = [
  {
    type: 'session.start',
    identity: { subject: 'agent-x', groups: ['g'] },
    connection: 'shop-db',
    protocol: 'postgres',
    client: '127.0.0.1:1',
  },
  {
    type: 'command',
    commands: [{ text: 'SELECT 1', operations: ['select'], resources: [] }],
    decision: { action: 'Allow', policy: 'p', rule: 'r', reason: 'ok', observed: [] },
  },
  { type: 'result', tag: 'SELECT 1', rows: 1, maskedFields: 0 },
  {
    type: 'command',
    commands: [{ text: 'SELECT 2', operations: ['select'], resources: [] }],
    decision: { action: 'Allow', policy: 'p', rule: 'r', reason: 'ok', observed: [] },
  },
  { type: 'result', tag: 'SELECT 1', rows: 1, maskedFields: 0 },
  { type: 'session.end', reason: 'client closed' },
];

beforeAll(async () => {
  server = (await startRecordingStore('recstore', { sidecarRole, readerRole })).server;
  const info = server.info;
  admin = await connect('admin');
  readerUrl = `postgres://${readerRole.name}:${readerRole.password}@${info.host}:${info.port}/${DATABASE}`;
}, 60_000);
afterAll(async () => {
  await admin?.end();
  await server?.stop();
});

/** The store as a sidecar writes to it: its insert-only role. */
const sidecarStore = () =>
  new PgEventStore({
    host: server.info.host,
    port: server.info.port,
    database: DATABASE,
    user: sidecarRole.name,
    password: sidecarRole.password,
  });

describe('the recording store', () => {
  it('migrates idempotently and creates day partitions around now', async () => {
    expect(await migrate(admin)).toEqual({ applied: [] });
    const { rows } = await admin.query<{ version: number }>(
      'SELECT version FROM recording.schema_migrations ORDER BY version',
    );
    expect(rows.map((r) => r.version)).toEqual([1, 2, 3]);
    const partitions = await listPartitions(admin);
    // Every partition, the one made by the first migration included, compresses payloads with lz4.
    const compression = await admin.query<{ relname: string; attcompression: string }>(
      `SELECT c.relname, a.attcompression FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
        WHERE a.attname = 'payload' AND c.oid IN (SELECT inhrelid FROM pg_inherits WHERE inhparent = 'recording.events'::regclass)`,
    );
    expect(compression.rows.length).toBeGreaterThan(1);
    expect(compression.rows.filter((r) => r.attcompression !== 'l')).toEqual([]);
    expect(partitions).toContain(partitionName(new Date()));
    expect(partitions).toContain(partitionName(new Date(Date.now() + 7 * 86_400_000)));
    // Provisioning again (an operator restart) changes nothing and keeps working.
    const info = server.info;
    await provisionStore({
      admin: {
        host: info.host,
        port: info.port,
        user: info.superuser.user,
        password: info.superuser.password,
      },
      database: DATABASE,
      sidecar: sidecarRole,
      reader: readerRole,
    });
  });

  it('the sidecar role may INSERT, and nothing else', async () => {
    const store = sidecarStore();
    const events = session(randomUUID(), Date.now(), sample);
    await store.insert(events);
    await store.close();
    const sidecar = await connect(sidecarRole);
    try {
      for (const sql of [
        `UPDATE recording.events SET payload = '{}' WHERE session = '${events[0]!.session}'`,
        `DELETE FROM recording.events WHERE session = '${events[0]!.session}'`,
        'SELECT count(*) FROM recording.events',
        'TRUNCATE recording.events',
        `UPDATE recording.${partitionName(new Date())} SET payload = '{}'`,
        `DELETE FROM recording.${partitionName(new Date())}`,
        'DROP TABLE recording.events_default',
      ]) {
        const error = (await sidecar.query(sql).catch((e: unknown) => e)) as pg.DatabaseError;
        expect(error, sql).toBeInstanceOf(Error);
        expect(error.code, `${sql}: ${error.message}`).toMatch(/^(42501)$/);
      }
    } finally {
      await sidecar.end();
    }
    const { rows } = await admin.query('SELECT count(*)::int AS n FROM recording.events WHERE session = $1', [
      events[0]!.session,
    ]);
    expect(rows[0].n).toBe(sample.length);
  });

  it('a batch shipped twice (a crash between insert and commit) is stored once', async () => {
    const store = sidecarStore();
    const events = session(randomUUID(), Date.now(), sample);
    await store.insert(events.slice(0, 4));
    await store.insert(events);
    await store.close();
    const { rows } = await admin.query<{ seq: number }>(
      'SELECT seq FROM recording.events WHERE session = $1 ORDER BY seq',
      [events[0]!.session],
    );
    expect(rows.map((r) => r.seq)).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('stores batches of terminal output (sent row by row) and of small events alike, and verifies both from the spool text', async () => {
    const store = sidecarStore();
    const id = randomUUID();
    const t0 = Date.now();
    const output = randomBytes(96 * 1024);
    const lines: string[] = [];
    let previous: ChainLink | undefined;
    const seal = (sealed: { event: RecordedEvent; line: string } | { link: ChainLink; line: string }) => {
      previous = 'link' in sealed ? sealed.link : sealed.event;
      lines.push(sealed.line);
    };
    seal(sealEventToLine(id, sample[0]!, new Date(t0), previous));
    for (let i = 0; i < 3; i++)
      seal(
        sealTerminalToLine(
          id,
          { stream: 'stdout', bytes: output, elapsedMs: i },
          new Date(t0 + 1 + i),
          previous,
        ),
      );
    seal(sealEventToLine(id, { type: 'session.end', reason: 'done' }, new Date(t0 + 9), previous));
    // Read back as the shipper reads the spool: the payloads go as the sealed text.
    const events = lines.map((l) => parseSpoolLine(l.trimEnd())!);
    expect(events.every((e) => e.payloadJson !== undefined)).toBe(true);
    await store.insert(events.slice(0, 4)); // mostly output: row by row
    await store.insert(events.slice(4)); // one small event: as arrays
    await store.close();
    const verdict = await crewgate('verify', id, '--final-hash', previous!.hash);
    expect(verdict.stdout, verdict.stderr).toMatch(new RegExp(`^OK ${id}: 5 events, chain intact`));
    const { rows } = await admin.query<{ data: string }>(
      `SELECT payload->>'data' AS data FROM recording.events WHERE session = $1 AND type = 'terminal' ORDER BY seq`,
      [id],
    );
    expect(rows.map((r) => Buffer.from(r.data, 'base64').equals(output))).toEqual([true, true, true]);
  });

  it('retention is a partition drop, and takes whole sessions', async () => {
    const old = Date.now() - 10 * 86_400_000;
    await ensurePartitions(admin, new Date(), { daysBehind: 11 });
    const store = sidecarStore();
    const events = session(randomUUID(), old, sample);
    await store.insert(events);
    await store.close();
    const where = await admin.query<{ part: string }>(
      'SELECT DISTINCT tableoid::regclass::text AS part FROM recording.events WHERE session = $1',
      [events[0]!.session],
    );
    expect(where.rows).toEqual([{ part: `recording.${partitionName(new Date(old))}` }]);
    const dropped = await dropPartitionsBefore(admin, new Date(Date.now() - 5 * 86_400_000));
    expect(dropped).toContain(partitionName(new Date(old)));
    const left = await admin.query('SELECT count(*)::int AS n FROM recording.events WHERE session = $1', [
      events[0]!.session,
    ]);
    expect(left.rows[0].n).toBe(0);
  });

  it('editing one event makes `crewgate verify` fail at that event', async () => {
    const store = sidecarStore();
    const events = session(randomUUID(), Date.now(), sample);
    await store.insert(events);
    await store.close();
    const id = events[0]!.session;
    const intact = await crewgate('verify', id);
    expect(intact.stdout, intact.stderr).toMatch(
      new RegExp(`^OK ${id}: 6 events, chain intact, final hash ${events[5]!.hash}`),
    );
    expect(intact.code).toBe(0);
    expect((await crewgate('verify', id, '--final-hash', events[5]!.hash)).code).toBe(0);

    // The superuser (the only one who can) changes what a command was.
    await admin.query(
      `UPDATE recording.events SET payload = jsonb_set(payload, '{commands,0,text}', '"SELECT 42"') WHERE session = $1 AND seq = 3`,
      [id],
    );
    const broken = await crewgate('verify', id);
    expect(broken.code).toBe(1);
    expect(broken.stdout).toMatch(
      /FAILED .*: the chain breaks at event 3 of 6: content does not match its recorded hash/,
    );

    // Covering it up by recomputing that row's hash moves the break to the next event.
    const { hashEvent } = await import('../../sidecar/recording/index.js');
    const { rows } = await admin.query(
      'SELECT payload FROM recording.events WHERE session = $1 AND seq = 3',
      [id],
    );
    await admin.query('UPDATE recording.events SET hash = $2 WHERE session = $1 AND seq = 3', [
      id,
      hashEvent({ ...events[3]!, payload: rows[0].payload }),
    ]);
    expect((await crewgate('verify', id)).stdout).toMatch(/breaks at event 4 of 6: prevHash/);

    // Deleting the last event is caught by the final hash kept outside the store.
    await admin.query('DELETE FROM recording.events WHERE session = $1 AND seq = 5', [id]);
    await admin.query('UPDATE recording.events SET hash = $2, payload = $3 WHERE session = $1 AND seq = 3', [
      id,
      events[3]!.hash,
      events[3]!.payload,
    ]);
    const truncated = await crewgate('verify', id, '--final-hash', events[5]!.hash);
    expect(truncated.code).toBe(1);
    expect(truncated.stdout).toMatch(/final hash .* is not the expected/);
  });
});
