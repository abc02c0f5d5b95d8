// The recording store on a PostgreSQL of this file's own: migrations are idempotent, the sidecar
// role may only INSERT (UPDATE, DELETE, SELECT, TRUNCATE refused with 42501), a re-shipped batch
// does not duplicate, retention is a partition drop, and an edited event fails `crewgate verify`.
// Terminal output is stored as bytes (migration 4) and read back through recording.event_log, for
// events stored before that migration as well as after.
import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createReaderRole,
  createSidecarRole,
  migrate,
  MIGRATIONS,
  provisionStore,
  listPartitions,
  ensurePartitions,
  dropPartitionsBefore,
  partitionName,
} from '../../operator/recording-store/index.js';
import type { SessionEvent } from '../../sidecar/enforcement/recorder.js';
import {
  PgEventStore,
  sealEvent,
  sealEventToLine,
  sealTerminalToLine,
  type ChainLink,
  type RecordedEvent,
} from '../../sidecar/recording/index.js';
import { readSpoolLine } from '../../sidecar/recording/spool-line.js';
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

const crewgate = (...args: string[]) => crewgateOn(readerUrl, ...args);
const crewgateOn = (storeUrl: string, ...args: string[]) =>
  run(process.execPath, ['--import', 'tsx', join(repositoryRoot, 'operator/cli/crewgate.ts'), ...args], {
    env: { ...process.env, CREWGATE_STORE_URL: storeUrl },
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
    expect(rows.map((r) => r.version)).toEqual([1, 2, 3, 4]);
    const partitions = await listPartitions(admin);
    // Every partition, the one made by the first migration included, compresses payloads and
    // terminal output with lz4.
    const compression = await admin.query<{ relname: string; attcompression: string }>(
      `SELECT c.relname, a.attcompression FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
        WHERE a.attname IN ('payload', 'data') AND c.oid IN (SELECT inhrelid FROM pg_inherits WHERE inhparent = 'recording.events'::regclass)`,
    );
    expect(compression.rows.length).toBe(2 * (await listPartitions(admin)).length + 2);
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
        'SELECT count(*) FROM recording.event_log',
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

  it('stores terminal output as its bytes, in batches sent row by row and as arrays alike, and verifies and replays them', async () => {
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
    // Keystrokes: small terminal events among small events.
    seal(
      sealTerminalToLine(
        id,
        { stream: 'stdin', bytes: Buffer.from('exit\r'), elapsedMs: 7 },
        new Date(t0 + 7),
        previous,
      ),
    );
    seal(sealEventToLine(id, { type: 'session.end', reason: 'done' }, new Date(t0 + 9), previous));
    // Read back as the shipper reads the spool: terminal output as bytes, other payloads as the sealed text.
    const buffer = Buffer.from(lines.join(''), 'utf8');
    const events: RecordedEvent[] = [];
    for (let at = 0; at < buffer.length;) {
      const end = buffer.indexOf(0x0a, at);
      events.push(readSpoolLine(buffer, at, end)!);
      at = end + 1;
    }
    expect(events.map((e) => e.terminalOutput !== undefined)).toEqual([false, true, true, true, true, false]);
    await store.insert(events.slice(0, 4)); // mostly output: row by row
    await store.insert(events.slice(4)); // small events: as arrays
    await store.close();
    const verdict = await crewgate('verify', id, '--final-hash', previous!.hash);
    expect(verdict.stdout, verdict.stderr).toMatch(new RegExp(`^OK ${id}: 6 events, chain intact`));
    // The table holds the bytes, and the payload without them; the log gives the payload as hashed.
    const stored = await admin.query<{ payload: object; data: Buffer }>(
      `SELECT payload, data FROM recording.events WHERE session = $1 AND type = 'terminal' ORDER BY seq`,
      [id],
    );
    expect(stored.rows.map((r) => r.payload)).toEqual([
      { elapsedMs: 0, stream: 'stdout' },
      { elapsedMs: 1, stream: 'stdout' },
      { elapsedMs: 2, stream: 'stdout' },
      { elapsedMs: 7, stream: 'stdin' },
    ]);
    expect(stored.rows.map((r) => r.data.toString('latin1'))).toEqual([
      ...Array<string>(3).fill(output.toString('latin1')),
      'exit\r',
    ]);
    const { rows } = await admin.query<{ data: string }>(
      `SELECT payload->>'data' AS data FROM recording.event_log WHERE session = $1 AND type = 'terminal' ORDER BY seq`,
      [id],
    );
    expect(rows.map((r) => r.data)).toEqual([
      ...Array<string>(3).fill(output.toString('base64')),
      Buffer.from('exit\r').toString('base64'),
    ]);
    const cast = await crewgate('replay', id, '--format', 'asciicast');
    expect(cast.stdout, cast.stderr).toContain(`\n${JSON.stringify([0.007, 'i', 'exit\r'])}\n`);
    expect(cast.stdout.split('\n').filter((l) => l.includes('"o"'))).toHaveLength(3);
  });

  it('stores terminal events given as objects (not read from a spool) as bytes, and odd ones as they are', async () => {
    const store = sidecarStore();
    const id = randomUUID();
    const text = Buffer.from('hello\r\n');
    const events = session(id, Date.now(), [
      sample[0]!,
      { type: 'terminal', stream: 'stdout', data: text.toString('base64'), elapsedMs: 1 },
      // Not base64 in the spelling the log gives back: kept in the payload, still verifiable.
      { type: 'terminal', stream: 'stdout', data: 'aGk', elapsedMs: 2 },
      { type: 'session.end', reason: 'done' },
    ]);
    await store.insert(events);
    await store.close();
    const { rows } = await admin.query<{ payload: object; data: Buffer | null }>(
      `SELECT payload, data FROM recording.events WHERE session = $1 AND type = 'terminal' ORDER BY seq`,
      [id],
    );
    expect(rows).toEqual([
      { payload: { elapsedMs: 1, stream: 'stdout' }, data: text },
      { payload: { data: 'aGk', elapsedMs: 2, stream: 'stdout' }, data: null },
    ]);
    const verdict = await crewgate('verify', id);
    expect(verdict.stdout, verdict.stderr).toMatch(new RegExp(`^OK ${id}: 4 events, chain intact`));
  });

  it('a store that holds events of the old form migrates, and verifies and replays them and new ones alike', async () => {
    // A store as it was before migration 4, with its reader and sidecar roles as they were granted
    // then, and a session half shipped by a sidecar of that time.
    const database = 'crewgate_audit_before_4';
    await admin.query(`CREATE DATABASE ${database}`);
    const info = server.info;
    const old = new pg.Client({
      host: info.host,
      port: info.port,
      database,
      user: info.superuser.user,
      password: info.superuser.password,
    });
    await old.connect();
    try {
      await migrate(old, { migrations: MIGRATIONS.filter((m) => m.version < 4) });
      const oldReader = { name: 'crewgate_reader_before_4', password: randomBytes(12).toString('hex') };
      await old.query(`CREATE ROLE ${oldReader.name} LOGIN PASSWORD '${oldReader.password}'`);
      await old.query(`GRANT CONNECT ON DATABASE ${database} TO ${oldReader.name}`);
      await old.query(`GRANT USAGE ON SCHEMA recording TO ${oldReader.name}`);
      await old.query(`GRANT SELECT ON recording.events, recording.sessions TO ${oldReader.name}`);
      await createSidecarRole(old, sidecarRole);

      const id = randomUUID();
      const t0 = Date.now();
      const before = Buffer.from('shipped before the upgrade\r\n');
      const after = Buffer.from('shipped after it\r\n');
      const events = session(id, t0, [
        sample[0]!,
        { type: 'terminal', stream: 'stdout', data: before.toString('base64'), elapsedMs: 1 },
        { type: 'resize', cols: 100, rows: 30, elapsedMs: 2 },
        { type: 'terminal', stream: 'stdout', data: after.toString('base64'), elapsedMs: 3 },
        { type: 'session.end', reason: 'done' },
      ]);
      // The insert of a sidecar before migration 4: the payload whole, no data column.
      for (const e of events.slice(0, 2))
        await old.query(
          `INSERT INTO recording.events (session_started, session, seq, time, type, payload, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
          [e.sessionStarted, e.session, e.seq, e.time, e.type, JSON.stringify(e.payload), e.prevHash, e.hash],
        );

      expect(await migrate(old)).toEqual({ applied: [4] });
      const compression = await old.query<{ attcompression: string }>(
        `SELECT a.attcompression FROM pg_attribute a
          WHERE a.attname = 'data' AND a.attrelid IN (SELECT inhrelid FROM pg_inherits WHERE inhparent = 'recording.events'::regclass)`,
      );
      expect(compression.rows.length).toBeGreaterThan(1);
      expect(compression.rows.filter((r) => r.attcompression !== 'l')).toEqual([]);

      // The rest of the session comes from an upgraded sidecar, in the new form.
      const store = new PgEventStore({
        host: info.host,
        port: info.port,
        database,
        user: sidecarRole.name,
        password: sidecarRole.password,
      });
      await store.insert(events.slice(2));
      await store.close();
      const { rows } = await old.query<{ seq: number; has_data: boolean; in_payload: boolean }>(
        `SELECT seq, data IS NOT NULL AS has_data, payload ? 'data' AS in_payload FROM recording.events WHERE session = $1 ORDER BY seq`,
        [id],
      );
      expect(rows.filter((r) => r.seq === 1 || r.seq === 3)).toEqual([
        { seq: 1, has_data: false, in_payload: true },
        { seq: 3, has_data: true, in_payload: false },
      ]);

      // The reader provisioned before the upgrade reads the log: the migration granted it.
      const url = `postgres://${oldReader.name}:${oldReader.password}@${info.host}:${info.port}/${database}`;
      const verdict = await crewgateOn(url, 'verify', id, '--final-hash', events.at(-1)!.hash);
      expect(verdict.stdout, verdict.stderr).toMatch(new RegExp(`^OK ${id}: 5 events, chain intact`));
      const replay = await crewgateOn(url, 'replay', id, '--no-wait');
      expect(replay.stdout, replay.stderr).toMatch(
        new RegExp(`^${before.toString()}${after.toString()}\n\\[session ${id}: 5 events\\]\n$`),
      );
      const exported = await crewgateOn(url, 'export', '--since', '1h');
      const lines = exported.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as RecordedEvent);
      expect(lines.map((e) => e.payload)).toEqual(events.map((e) => e.payload));

      // A reader provisioned now gets the log too; the sidecar role still cannot read it.
      const reader = { name: 'crewgate_reader_after_4', password: randomBytes(12).toString('hex') };
      await createReaderRole(old, reader);
      const fresh = `postgres://${reader.name}:${reader.password}@${info.host}:${info.port}/${database}`;
      expect((await crewgateOn(fresh, 'verify', id)).code).toBe(0);
    } finally {
      await old.end();
    }
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
