/**
 * pgbench through the sidecar, directly, and through PgBouncer (session mode), on the same
 * machine in the same run: TPS, average latency, and the proxy process's CPU time per
 * transaction. Every path speaks TLS (verify-full) to the database; clients reach the proxies
 * over loopback in plaintext, as an agent in the same pod would.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { createCertificateAuthority } from '../operator/pki/certificates.js';
import { locateBinaries } from '../test/harness/binaries.js';
import { startOidcProvider } from '../test/harness/oidc.js';
import { oidcToken } from '../test/harness/oidc-token.js';
import { chownRecursive, serviceUser } from '../test/harness/os-user.js';
import { repositoryRoot } from '../test/harness/paths.js';
import { freePort } from '../test/harness/ports.js';
import { startPostgres } from '../test/harness/postgres.js';
import { runCommand } from '../test/harness/run.js';
import { waitForLine } from './child-ready.js';
import { cpuSeconds } from './proc-cpu.js';
import { pgbenchRows } from './postgres-rows.js';
import type { Bench } from './result.js';

export interface PgbenchResult {
  path: string;
  script: string;
  mode: string;
  clients: number;
  tps: number;
  latencyMs: number;
  transactions: number;
  proxyCpuUsPerTx?: number;
}

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
/** verify-full by default; BENCH_UPSTREAM_TLS=disable measures every path without TLS to the server. */
const UPSTREAM_TLS = process.env.BENCH_UPSTREAM_TLS === 'disable' ? 'disable' : 'verify-full';

function parsePgbench(stdout: string): { tps: number; latencyMs: number; transactions: number } {
  const tps = Number(/tps = ([\d.]+) \(without initial connection time\)/.exec(stdout)?.[1]);
  const latencyMs = Number(/latency average = ([\d.]+) ms/.exec(stdout)?.[1]);
  const transactions = Number(/number of transactions actually processed: (\d+)/.exec(stdout)?.[1]);
  if (!Number.isFinite(tps) || !Number.isFinite(transactions))
    throw new Error(`could not read pgbench output:\n${stdout}`);
  return { tps, latencyMs, transactions };
}

export async function benchPostgres(log: (line: string) => void): Promise<PgbenchResult[]> {
  const dir = mkdtempSync(join(tmpdir(), 'crewgate-bench-'));
  chmodSync(dir, 0o755);
  const binaries = locateBinaries();
  const ca = await createCertificateAuthority('crewgate-bench-ca');
  const caFile = join(dir, 'ca.crt');
  writeFileSync(caFile, ca.certificatePem);
  const children: ChildProcess[] = [];
  const database = await startPostgres(binaries, join(dir, 'pg'), ca, caFile);
  const oidc = await startOidcProvider(ca, caFile);
  try {
    const pg = database.info;
    const pgEnv = {
      ...process.env,
      PGHOST: pg.host,
      PGPORT: String(pg.port),
      PGUSER: pg.app.user,
      PGPASSWORD: pg.app.password,
      PGDATABASE: 'shop',
    };
    log(`initialising pgbench tables (scale 1) in ${pg.host}:${pg.port}`);
    const init = await runCommand('pgbench', ['-i', '-s', '1', '-q'], {
      env: { ...pgEnv, PGSSLMODE: 'disable' },
      timeoutMs: 120_000,
    });
    if (init.code !== 0) throw new Error(init.stderr);
    const token = await oidcToken(oidc.info, 'agent-operator');

    // The sidecar, built as it ships (dist/), once with masking off and once with it on.
    const passwordFile = join(dir, 'app.password');
    writeFileSync(passwordFile, pg.app.password, { mode: 0o600 });
    const startSidecar = async (name: string, policies: string) => {
      const config = join(dir, `${name}.yaml`);
      writeFileSync(
        config,
        stringify({
          identity: { issuers: [{ issuer: oidc.info.issuer, audiences: [oidc.info.audience], caFile }] },
          policies: { files: [join(repositoryRoot, 'bench', policies)] },
          connections: [
            {
              name: 'bench-db',
              type: 'postgres',
              listen: { host: '127.0.0.1', port: 0 },
              upstream: {
                host: pg.host,
                port: pg.port,
                database: 'shop',
                tls: { mode: UPSTREAM_TLS, caFile },
              },
              credentials: { username: pg.app.user, passwordFile },
            },
          ],
          recording: { file: join(dir, `${name}-sessions.jsonl`) },
        }),
      );
      // BENCH_NODE_ARGS (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`) profiles the sidecar under load.
      const nodeArgs = process.env.BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
      const child = spawn(
        process.execPath,
        [...nodeArgs, join(repositoryRoot, 'dist/sidecar/main.js'), '--config', config],
        {
          env: { ...process.env, CREWGATE_LOG_LEVEL: 'warn' },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      children.push(child);
      const ready = JSON.parse(await waitForLine(child, /"ready":true/, `sidecar ${name}`)) as {
        listeners: Record<string, number>;
      };
      return { port: ready.listeners['bench-db']!, pid: child.pid! };
    };
    const sidecar = await startSidecar('sidecar', 'policies.yaml');
    const masked = await startSidecar('sidecar-masked', 'policies-masked.yaml');

    // PgBouncer in session mode, TLS verify-full to the server like the sidecar.
    const bouncerDir = join(dir, 'pgbouncer');
    mkdirSync(bouncerDir);
    const bouncerPort = await freePort();
    writeFileSync(join(bouncerDir, 'userlist.txt'), `"${pg.app.user}" "${pg.app.password}"\n`);
    writeFileSync(
      join(bouncerDir, 'pgbouncer.ini'),
      [
        '[databases]',
        `shop = host=${pg.host} port=${pg.port} dbname=shop`,
        '[pgbouncer]',
        'listen_addr = 127.0.0.1',
        `listen_port = ${bouncerPort}`,
        "unix_socket_dir = ''",
        'auth_type = plain',
        `auth_file = ${join(bouncerDir, 'userlist.txt')}`,
        'pool_mode = session',
        'max_client_conn = 200',
        'default_pool_size = 20',
        `server_tls_sslmode = ${UPSTREAM_TLS}`,
        `server_tls_ca_file = ${caFile}`,
        `logfile = ${join(bouncerDir, 'pgbouncer.log')}`,
        `pidfile = ${join(bouncerDir, 'pgbouncer.pid')}`,
        'log_connections = 0',
        'log_disconnections = 0',
        '',
      ].join('\n'),
    );
    const user = serviceUser();
    chownRecursive(bouncerDir, user);
    const bouncer = spawn('/usr/sbin/pgbouncer', [join(bouncerDir, 'pgbouncer.ini')], {
      uid: user.uid,
      gid: user.gid,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(bouncer);
    await new Promise((r) => setTimeout(r, 1_000));
    if (bouncer.exitCode !== null) throw new Error('pgbouncer did not start');

    const paths = [
      { path: 'direct', env: { ...pgEnv, PGSSLMODE: UPSTREAM_TLS, PGSSLROOTCERT: caFile } },
      {
        path: 'pgbouncer',
        env: { ...pgEnv, PGPORT: String(bouncerPort), PGSSLMODE: 'disable' },
        pid: bouncer.pid,
      },
      {
        path: 'sidecar',
        env: { ...pgEnv, PGPORT: String(sidecar.port), PGPASSWORD: token, PGSSLMODE: 'disable' },
        pid: sidecar.pid,
      },
      {
        path: 'sidecar+masking',
        env: { ...pgEnv, PGPORT: String(masked.port), PGPASSWORD: token, PGSSLMODE: 'disable' },
        pid: masked.pid,
      },
    ];
    const scenarios = [
      { script: 'select-only', args: ['-S'], mode: 'prepared', clients: 8 },
      { script: 'select-only', args: ['-S'], mode: 'simple', clients: 8 },
      { script: 'select-only', args: ['-S'], mode: 'prepared', clients: 1 },
      { script: 'tpcb-like', args: [], mode: 'prepared', clients: 8 },
      { script: 'tpcb-like', args: [], mode: 'prepared', clients: 1 },
    ];
    const results: PgbenchResult[] = [];
    // BENCH_SCENARIOS=0,3 runs a subset (indexes into the list above), for profiling.
    const picked = process.env.BENCH_SCENARIOS?.split(',').map(Number);
    for (const s of scenarios.filter((_, i) => !picked || picked.includes(i))) {
      for (const p of paths) {
        const before = p.pid ? cpuSeconds(p.pid) : 0;
        const run = await runCommand(
          'pgbench',
          [
            '-n',
            ...s.args,
            '-M',
            s.mode,
            '-c',
            String(s.clients),
            '-j',
            String(Math.min(s.clients, 2)),
            '-T',
            String(SECONDS),
          ],
          {
            env: p.env,
            timeoutMs: (SECONDS + 60) * 1000,
          },
        );
        if (run.code !== 0) throw new Error(`pgbench via ${p.path} failed: ${run.stderr}`);
        const parsed = parsePgbench(run.stdout);
        const cpu = p.pid ? cpuSeconds(p.pid) - before : undefined;
        const result: PgbenchResult = {
          path: p.path,
          script: s.script,
          mode: s.mode,
          clients: s.clients,
          ...parsed,
          ...(cpu !== undefined
            ? { proxyCpuUsPerTx: Math.round((cpu / parsed.transactions) * 1e6 * 10) / 10 }
            : {}),
        };
        results.push(result);
        log(
          `${s.script} -M ${s.mode} -c ${s.clients} via ${p.path}: ${parsed.tps.toFixed(0)} tps, ${parsed.latencyMs.toFixed(3)} ms` +
            (result.proxyCpuUsPerTx !== undefined ? `, proxy CPU ${result.proxyCpuUsPerTx} µs/tx` : ''),
        );
      }
    }
    return results;
  } finally {
    for (const c of children) c.kill('SIGTERM');
    await oidc.stop();
    await database.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

export const postgresBench: Bench = {
  name: 'postgres',
  title: 'PostgreSQL: pgbench direct, via PgBouncer (session mode), via the sidecar',
  run: async (log) => {
    const raw = await benchPostgres(log);
    return { benchmark: 'postgres', rows: pgbenchRows(raw), raw };
  },
};
