// Unchanged clients beyond node-postgres: Python psycopg, pgbench in all three query modes, and
// psql's Ctrl-C, all through the proxy to the harness's real PostgreSQL.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { oidcToken } from '../harness/oidc-token.js';
import { runCommand } from '../harness/run.js';
import { agentPgEnv, startProxy, type ProxyUnderTest } from './support/postgres-proxy.js';

const harness = inject('harness');
const pgInfo = harness.postgres;
let proxy: ProxyUnderTest;
let analyst: string;
let operator: string;

beforeAll(async () => {
  proxy = await startProxy(harness);
  analyst = await oidcToken(harness.oidc, 'agent-analyst');
  operator = await oidcToken(harness.oidc, 'agent-operator');
});
afterAll(async () => {
  await proxy?.listener.close();
});

const viaProxy = (token: string) => agentPgEnv(proxy.listener.port, token);

describe('Python psycopg through the proxy', () => {
  it('reads masked rows, gets InsufficientPrivilege for a drop, and carries on', async () => {
    const script = `
import psycopg, json
out = {}
with psycopg.connect("") as conn:
    out["email"] = conn.execute("SELECT email FROM customers WHERE id = %s", (2,)).fetchone()[0]
    try:
        conn.execute("DROP TABLE orders")
    except psycopg.errors.InsufficientPrivilege as e:
        out["denied"] = e.sqlstate
    conn.rollback()
    out["count"] = conn.execute("SELECT count(*) FROM orders").fetchone()[0]
print(json.dumps(out))
`;
    const result = await runCommand('/usr/bin/python3', ['-c', script], { env: viaProxy(analyst) });
    expect(result.stderr).toBe('');
    const out = JSON.parse(result.stdout) as { email: string; denied: string; count: number };
    expect(out.denied).toBe('42501');
    expect(out.count).toBe(6);
    expect(out.email).not.toBe('grace@example.com');
    expect(out.email).not.toMatch(/grace@example\.com/);
  });
});

describe('pgbench through the proxy', () => {
  beforeAll(async () => {
    // Initialised directly on the database, as a DBA would; the benchmark then runs through the proxy.
    const init = await runCommand(
      'pgbench',
      ['-i', '-s', '1', '-q', '-h', pgInfo.host, '-p', String(pgInfo.port), '-U', pgInfo.app.user, 'shop'],
      {
        env: { ...process.env, PGPASSWORD: pgInfo.app.password, PGSSLMODE: 'disable' },
        timeoutMs: 60_000,
      },
    );
    expect(init.code, init.stderr).toBe(0);
  });

  it.each(['simple', 'extended', 'prepared'])(
    'runs the TPC-B-like script with -M %s, no failed transactions',
    async (mode) => {
      const result = await runCommand('pgbench', ['-n', '-M', mode, '-c', '2', '-t', '25', 'shop'], {
        env: viaProxy(operator),
        timeoutMs: 60_000,
      });
      expect(result.stderr).not.toMatch(/error|aborted/i);
      expect(result.stdout).toMatch(/number of transactions actually processed: 50\/50/);
      expect(result.stdout).toMatch(/number of failed transactions: 0/);
    },
  );

  it('runs select-only (-S) with -M prepared', async () => {
    const result = await runCommand(
      'pgbench',
      ['-n', '-S', '-M', 'prepared', '-c', '2', '-t', '50', 'shop'],
      { env: viaProxy(operator), timeoutMs: 60_000 },
    );
    expect(result.stdout).toMatch(/number of transactions actually processed: 100\/100/);
  });
});

describe('cancel', () => {
  it('Ctrl-C in psql cancels the running query on the database', async () => {
    const psql = spawn(join(pgInfo.binDir, 'psql'), ['-XAt', '-c', 'SELECT pg_sleep(30)'], {
      env: viaProxy(operator),
    });
    let stderr = '';
    psql.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const started = Date.now();
    await new Promise((r) => setTimeout(r, 1500));
    psql.kill('SIGINT');
    const code = await new Promise<number | null>((resolve) => psql.on('close', resolve));
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(code).not.toBe(0);
    expect(stderr).toMatch(/canceling statement due to user request/);
  });
});
