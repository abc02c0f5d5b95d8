// The operator as the process the chart runs (operator/main.ts): /healthz answers from the start,
// /readyz only once its informers have synced and its webhook server has a certificate, and it
// provisions the configured recording store itself (database, migrations, insert-only sidecar role)
// from the store Secret. The API server is reached through a gate the test holds shut at first,
// so "starting" is a state the test controls, not a race it hopes to win.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { kubeClients } from '../../operator/kube/client.js';
import { MIGRATIONS, provisionConfiguredStore } from '../../operator/recording-store/index.js';
import { repositoryRoot } from '../harness/paths.js';
import { freePort } from '../harness/ports.js';
import { startPrivatePostgres } from '../harness/private-postgres.js';
import { kubectl } from '../harness/run.js';

const harness = inject('harness');
const id = `${Date.now()}`;
const ns = `crewgate-proc-${id}`;
const sidecarLogin = { user: 'crewgate_sidecar', password: randomBytes(12).toString('hex') };
let store: Awaited<ReturnType<typeof startPrivatePostgres>>;
let gate: { server: Server; port: number; open(): void };

/** A TCP relay to the API server that holds every connection until `open()`. */
async function gatedRelay(target: URL): Promise<typeof gate> {
  let opened = false;
  const held: Socket[] = [];
  const relay = (socket: Socket) => {
    const upstream = createConnection(Number(target.port), target.hostname);
    socket.pipe(upstream).pipe(socket);
    upstream.on('error', () => socket.destroy());
    socket.on('error', () => upstream.destroy());
  };
  const server = createServer((socket) => (opened ? relay(socket) : held.push(socket)));
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', () => resolve()));
  return {
    server,
    port,
    open() {
      opened = true;
      for (const socket of held.splice(0)) relay(socket);
    },
  };
}

const storeSetting = (database: string) => ({
  host: store.info.host,
  port: store.info.port,
  database,
  tls: { mode: 'verify-full' as const, caFile: join(store.dir, 'ca.crt') },
  secretName: 'crewgate-recording-store',
});

const asAdmin = async <T>(database: string, f: (c: pg.Client) => Promise<T>): Promise<T> => {
  const c = new pg.Client({
    host: store.info.host,
    port: store.info.port,
    user: store.info.superuser.user,
    password: store.info.superuser.password,
    database,
  });
  await c.connect();
  try {
    return await f(c);
  } finally {
    await c.end();
  }
};

beforeAll(async () => {
  store = await startPrivatePostgres('operator-store');
  gate = await gatedRelay(new URL(harness.controlPlane.server));
  expect((await kubectl(harness, ['create', 'namespace', ns])).code).toBe(0);
  const secret = await kubectl(harness, [
    'create',
    'secret',
    'generic',
    'crewgate-recording-store',
    '-n',
    ns,
    `--from-literal=admin-username=${store.info.superuser.user}`,
    `--from-literal=admin-password=${store.info.superuser.password}`,
    `--from-literal=sidecar-username=${sidecarLogin.user}`,
    `--from-literal=sidecar-password=${sidecarLogin.password}`,
  ]);
  expect(secret.stderr).toBe('');
}, 60_000);

afterAll(async () => {
  gate?.server.close();
  await store?.stop();
});

async function get(url: string): Promise<{ status: number; body: string }> {
  try {
    const res = await fetch(url);
    return { status: res.status, body: await res.text() };
  } catch {
    return { status: 0, body: '' };
  }
}

describe('the operator process', () => {
  it('is alive but not ready while starting, ready once synced, and provisions the recording store itself', async () => {
    const kubeconfig = join(mkdtempSync(join(tmpdir(), 'crewgate-gated-')), 'kubeconfig');
    writeFileSync(
      kubeconfig,
      readFileSync(harness.controlPlane.adminKubeconfig, 'utf8').replaceAll(
        harness.controlPlane.server,
        `https://127.0.0.1:${gate.port}`,
      ),
    );
    const metricsPort = await freePort();
    const child = spawn(process.execPath, ['--import', 'tsx', join(repositoryRoot, 'operator/main.ts')], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        CREWGATE_LOG_LEVEL: 'warn',
        CREWGATE_KUBECONFIG: kubeconfig,
        CREWGATE_NAMESPACE: ns,
        CREWGATE_IDENTITY: `proc-${id}`,
        CREWGATE_BIND_ADDRESS: '127.0.0.1',
        CREWGATE_WEBHOOK_PORT: String(await freePort()),
        CREWGATE_SIDECAR_API_PORT: String(await freePort()),
        CREWGATE_METRICS_PORT: String(metricsPort),
        CREWGATE_EXTRA_IP_ADDRESSES: '127.0.0.1',
        // Names no webhook configuration has: this operator must not patch another test's caBundle.
        CREWGATE_MUTATING_WEBHOOK_CONFIGURATIONS: `none-${id}`,
        CREWGATE_VALIDATING_WEBHOOK_CONFIGURATIONS: `none-${id}`,
        CREWGATE_RECORDING_STORE: JSON.stringify(storeSetting('crewgate_audit')),
      },
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    try {
      const base = `http://127.0.0.1:${metricsPort}`;
      const deadline = Date.now() + 30_000;
      while ((await get(`${base}/healthz`)).status !== 200) {
        if (Date.now() > deadline || child.exitCode !== null)
          throw new Error(`operator never served: ${out}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      // The API server is unreachable behind the gate: alive, not ready, and it says why.
      const starting = await get(`${base}/readyz`);
      expect(starting.status).toBe(503);
      expect(starting.body).toContain('the webhook server has no serving certificate yet');
      expect(starting.body).toContain('informers have not synced');

      gate.open();
      while ((await get(`${base}/readyz`)).status !== 200) {
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`operator never ready: ${out}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      // The ready line is printed once startOperator returns, which can be a moment after /readyz
      // turned 200 (it failed once that way under load): wait for it within the same deadline.
      while (!out.includes('"ready":true') && Date.now() < deadline && child.exitCode === null)
        await new Promise((r) => setTimeout(r, 50));
      expect(out).toContain('"ready":true');

      // The store: migrated, and the sidecar role may INSERT events and nothing else.
      let versions: number[] = [];
      while (versions.length < MIGRATIONS.length && Date.now() < deadline) {
        versions = await asAdmin('postgres', async (c) =>
          (await c.query("SELECT 1 FROM pg_database WHERE datname = 'crewgate_audit'")).rowCount
            ? asAdmin('crewgate_audit', async (s) =>
                (
                  await s
                    .query('SELECT version FROM recording.schema_migrations ORDER BY version')
                    .catch(() => ({ rows: [] as { version: number }[] }))
                ).rows.map((r: { version: number }) => r.version),
              )
            : [],
        );
        if (versions.length < MIGRATIONS.length) await new Promise((r) => setTimeout(r, 200));
      }
      expect(versions).toEqual(MIGRATIONS.map((m) => m.version));
      // The role's grants follow the migrations in the same provisioning run: wait for them too.
      const readPrivileges = () =>
        asAdmin(
          'crewgate_audit',
          async (c) =>
            (
              await c.query(
                `SELECT has_table_privilege($1, 'recording.events', 'INSERT') AS insert,
                    has_table_privilege($1, 'recording.events', 'SELECT') AS select,
                    has_table_privilege($1, 'recording.events', 'UPDATE') AS update,
                    has_table_privilege($1, 'recording.events', 'DELETE') AS delete`,
                [sidecarLogin.user],
              )
            ).rows[0] as { insert: boolean },
        );
      let privileges = await readPrivileges();
      while (!privileges.insert && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 200));
        privileges = await readPrivileges();
      }
      expect(privileges).toEqual({ insert: true, select: false, update: false, delete: false });
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  }, 90_000);

  it('provisions safely when several replicas do it at once (one database, each migration once)', async () => {
    const clients = kubeClients(harness.controlPlane.adminKubeconfig);
    const settings = {
      ...storeSetting('crewgate_audit_race'),
      tls: { mode: 'verify-full' as const, caFile: join(store.dir, 'ca.crt') },
    };
    const outcomes = await Promise.all([1, 2, 3].map(() => provisionConfiguredStore(clients, ns, settings)));
    expect(outcomes).toEqual(['provisioned', 'provisioned', 'provisioned']);
    const rows = await asAdmin(
      'crewgate_audit_race',
      async (c) =>
        (
          await c.query(
            'SELECT version, count(*)::int AS n FROM recording.schema_migrations GROUP BY version ORDER BY version',
          )
        ).rows,
    );
    expect(rows).toEqual(MIGRATIONS.map((m) => ({ version: m.version, n: 1 })));
  }, 60_000);
});
