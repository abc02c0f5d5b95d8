// A PostgreSQL session through the proxy, recorded by the spooling recorder into a store on a
// PostgreSQL of this file's own: allowed, denied, masked, approved and refused-approval commands
// land complete and in order, the token used as the password leaves no trace, and the `crewgate`
// CLI (run as a process) lists, replays, exports and verifies the session.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Approver } from '../../sidecar/enforcement/approver.js';
import { SidecarMetrics } from '../../sidecar/enforcement/metrics.js';
import {
  openRecording,
  verifyChain,
  type RecordedEvent,
  type Recording,
} from '../../sidecar/recording/index.js';
import { oidcToken } from '../harness/oidc-token.js';
import { repositoryRoot } from '../harness/paths.js';
import type { PostgresServer } from '../harness/postgres.js';
import { startRecordingStore, storedEvents as storedEventsOf } from './support/recording-store.js';
import { startProxy, type ProxyUnderTest } from './support/postgres-proxy.js';

const run = promisify(execFile);
const harness = inject('harness');
const DATABASE = 'crewgate_audit';
const sidecarRole = { name: 'crewgate_sidecar', password: randomBytes(12).toString('hex') };
const readerRole = { name: 'crewgate_reader', password: randomBytes(12).toString('hex') };
const spoolDir = mkdtempSync(join(tmpdir(), 'crewgate-spool-'));
let server: PostgresServer & { dir: string };
let admin: pg.Client;
let recording: Recording;
let proxy: ProxyUnderTest;
let readerUrl: string;
let token: string;
const metrics = new SidecarMetrics();

/** Approves inserts into orders (as a reviewer would), refuses everything else. */
const approver: Approver = {
  requestApproval: async (commands) =>
    commands.every((c) => /INSERT INTO orders/i.test(c.text))
      ? { approved: true, request: 'agents/approval-7', reason: 'approved by dba-1' }
      : { approved: false, request: 'agents/approval-8', reason: 'denied by dba-1' },
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

beforeAll(async () => {
  const store = await startRecordingStore('recproxy', { sidecarRole, readerRole });
  server = store.server;
  const dir = server.dir;
  const ca = { certificatePem: store.caCertificatePem };
  const info = server.info;
  admin = new pg.Client({
    host: info.host,
    port: info.port,
    user: info.superuser.user,
    password: info.superuser.password,
    database: DATABASE,
  });
  await admin.connect();
  // The reader goes over TLS, verified against the store's CA.
  readerUrl = `postgres://${readerRole.name}:${readerRole.password}@localhost:${info.port}/${DATABASE}?sslmode=verify-full&sslrootcert=${encodeURIComponent(join(dir, 'ca.crt'))}`;
  recording = openRecording({
    dir: spoolDir,
    fsync: { mode: 'always' },
    maxBytes: 64 * 1024 * 1024,
    metrics,
    store: {
      host: info.host,
      port: info.port,
      database: DATABASE,
      user: sidecarRole.name,
      password: sidecarRole.password,
      ssl: { ca: [ca.certificatePem], rejectUnauthorized: true },
    },
  });
  proxy = await startProxy(harness, { recorder: recording.recorder, approver, metrics });
  token = await oidcToken(harness.oidc, 'agent-analyst');
}, 60_000);
afterAll(async () => {
  await proxy?.listener.close();
  await recording?.close();
  await admin?.end();
  await server?.stop();
});

async function storedEvents(session: string): Promise<RecordedEvent[]> {
  return storedEventsOf(admin, session);
}

describe('a recorded PostgreSQL session', () => {
  let session: string;

  beforeAll(async () => {
    const before = new Set(proxy.recorder.events.map((e) => e.session));
    const c = new pg.Client({
      host: '127.0.0.1',
      port: proxy.listener.port,
      user: 'agent',
      database: 'shop',
      password: token,
    });
    await c.connect();
    c.on('error', () => undefined);
    await c.query('SELECT full_name, email, card_number FROM customers ORDER BY id'); // allowed, masked
    await c.query('DROP TABLE orders').catch(() => undefined); // denied by no-drops
    await c.query('BEGIN');
    await c.query('INSERT INTO orders (customer_id, amount) VALUES (1, 9.99)'); // approved
    await c.query('ROLLBACK'); // the shared database stays as the other tests expect it
    await c.query('DELETE FROM orders WHERE id = -1').catch(() => undefined); // approval refused
    await c.query('SELECT * FROM no_such_table').catch(() => undefined); // allowed, the server errors
    await c.query(`SELECT '${token}' AS pasted`).catch(() => undefined); // a token pasted into SQL
    await c.end();
    const deadline = Date.now() + 5_000;
    for (;;) {
      const mine = proxy.recorder.events.find((e) => !before.has(e.session) && e.type === 'session.end');
      if (mine) {
        session = mine.session;
        break;
      }
      if (Date.now() > deadline) throw new Error('the session did not end');
      await new Promise((r) => setTimeout(r, 20));
    }
    await recording.shipper.drained(10_000);
  });

  it('is complete and in order in the store, and its chain verifies', async () => {
    const stored = await storedEvents(session);
    const recorded = proxy.recorder.events.filter((e) => e.session === session);
    expect(stored.map((e) => e.type)).toEqual(recorded.map((e) => e.type));
    expect(stored.map((e) => e.seq)).toEqual(stored.map((_, i) => i));
    expect(verifyChain(stored)).toMatchObject({ ok: true, complete: true });
    const commands = stored
      .filter((e) => e.type === 'command')
      .map((e) => e.payload as { decision: { action: string; rule?: string }; approval?: string });
    expect(commands.map((c) => [c.decision.action, c.decision.rule, c.approval])).toEqual([
      ['Allow', 'reads', undefined],
      ['Deny', 'no-drops', undefined],
      ['Allow', 'reads', undefined],
      ['Allow', 'writes-need-a-dba', 'agents/approval-7'],
      ['Allow', 'reads', undefined],
      ['Deny', 'writes-need-a-dba', 'agents/approval-8'],
      ['Allow', 'reads', undefined],
      ['Allow', 'reads', undefined],
    ]);
    const firstResult = stored.find((e) => e.type === 'result')!.payload as {
      rows: number;
      maskedFields: number;
    };
    expect(firstResult.rows).toBeGreaterThan(0);
    expect(firstResult.maskedFields).toBeGreaterThan(0);
    expect(stored.some((e) => e.type === 'error' && (e.payload as { code?: string }).code === '42P01')).toBe(
      true,
    );
    expect(stored[0]!.payload).toMatchObject({
      identity: { groups: ['crewai-viewer'] },
      connection: 'shop-db',
      protocol: 'postgres',
    });
  });

  it('keeps no trace of the token or the database password, in the store or the spool', async () => {
    const { rows } = await admin.query<{ row: string }>('SELECT e::text AS row FROM recording.event_log e');
    const everything = rows.map((r) => r.row).join('\n');
    expect(everything).toContain('[redacted]:jwt');
    for (const secret of [token, token.split('.')[1]!, token.split('.')[2]!, harness.postgres.app.password]) {
      expect(everything).not.toContain(secret);
    }
    const spooled = readdirSync(spoolDir)
      .map((f) => readFileSync(join(spoolDir, f), 'utf8'))
      .join('\n');
    expect(spooled).not.toContain(token.split('.')[2]!);
  });

  it('`crewgate replay` shows the transcript with decisions', async () => {
    const { code, stdout, stderr } = await crewgate('replay', session);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toMatch(new RegExp(`session ${session} on shop-db \\(postgres\\)`));
    expect(stdout).toMatch(
      /ALLOW agents\/analysts\/reads\n\s+> SELECT full_name, email, card_number FROM customers ORDER BY id\n\s+< SELECT \d+, \d+ rows, \d+ fields masked/,
    );
    expect(stdout).toMatch(/DENY agents\/analysts\/no-drops\n\s+> DROP TABLE orders\n\s+refused: /);
    expect(stdout).toMatch(
      /ALLOW agents\/analysts\/writes-need-a-dba approval agents\/approval-7\n\s+> INSERT INTO orders/,
    );
    expect(stdout).toMatch(
      /DENY agents\/analysts\/writes-need-a-dba approval agents\/approval-8\n\s+> DELETE FROM orders/,
    );
    expect(stdout).toMatch(/! 42P01 relation "no_such_table" does not exist/);
    expect(stdout).toMatch(/end: .*\n\s+final hash [0-9a-f]{64}/);
    process.stdout.write(`\n--- crewgate replay ${session.slice(0, 8)} ---\n${stdout}\n`);
  });

  it('`crewgate sessions` filters by subject, connection, time and decision', async () => {
    const subject = (await storedEvents(session))[0]!.payload as { identity: { subject: string } };
    const listed = await crewgate(
      'sessions',
      '--subject',
      subject.identity.subject,
      '--connection',
      'shop-db',
      '--since',
      '10m',
      '--decision',
      'Deny',
    );
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain(session);
    expect((await crewgate('sessions', '--subject', 'nobody')).stdout).not.toContain(session);
    expect((await crewgate('sessions', '--until', '2000-01-01T00:00:00Z')).stdout).not.toContain(session);
    const json = (await crewgate('sessions', '--since', '1h', '--json')).stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { session: string; denied: number; commands: number });
    expect(json.find((s) => s.session === session)).toMatchObject({ commands: 8, denied: 2 });
  });

  it('`crewgate export` writes JSON lines, and `crewgate verify` passes', async () => {
    const exported = await crewgate('export', '--since', '1h', '--format', 'jsonl');
    expect(exported.code).toBe(0);
    const mine = exported.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as RecordedEvent)
      .filter((e) => e.session === session);
    expect(verifyChain(mine)).toMatchObject({ ok: true, complete: true });
    const verified = await crewgate('verify', session.slice(0, 13));
    expect(verified.code).toBe(0);
    expect(verified.stdout).toMatch(/^OK .*chain intact/);
  });

  it('counts events spooled and shipped on the metrics registry', async () => {
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/crewgate_recording_events_spooled_total [1-9]/);
    expect(text).toMatch(/crewgate_recording_events_shipped_total [1-9]/);
    expect(text).toMatch(/crewgate_recording_spool_bytes 0/);
  });
});
