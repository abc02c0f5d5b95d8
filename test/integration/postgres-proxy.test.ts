// The PostgreSQL proxy with unchanged, real clients (psql, node-postgres, psycopg, pgbench)
// against the harness's real PostgreSQL, every statement judged by the policy core.
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { oidcToken } from '../harness/oidc-token.js';
import { runCommand } from '../harness/run.js';
import { startProxy, type ProxyUnderTest } from './support/postgres-proxy.js';

const harness = inject('harness');
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

const psql = (token: string, sql: string, extra: string[] = []) =>
  runCommand(
    join(harness.postgres.binDir, 'psql'),
    [
      '-h',
      '127.0.0.1',
      '-p',
      String(proxy.listener.port),
      '-U',
      'agent',
      '-d',
      'shop',
      '-XAt',
      '-v',
      'ON_ERROR_STOP=0',
      ...extra,
    ],
    { input: sql, env: { ...process.env, PGPASSWORD: token, PGSSLMODE: 'disable', PGCONNECT_TIMEOUT: '5' } },
  );

const client = async (token: string) => {
  const c = new pg.Client({
    host: '127.0.0.1',
    port: proxy.listener.port,
    user: 'agent',
    database: 'shop',
    password: token,
  });
  await c.connect();
  return c;
};

describe('psql through the proxy', () => {
  it('runs an allowed SELECT and masks card numbers and e-mails', async () => {
    const result = await psql(
      analyst,
      'SELECT full_name, email, card_number FROM customers ORDER BY id LIMIT 2;\n',
    );
    expect(result.stderr).toBe('');
    const rows = result.stdout
      .trim()
      .split('\n')
      .map((l) => l.split('|'));
    expect(rows[0]![0]).toBe('Ada Lovelace');
    expect(rows[0]![1]).not.toContain('ada@example.com');
    expect(rows[0]![2]).not.toMatch(/4111.?1111.?1111/);
    expect(rows[0]![2]).toMatch(/1111$/);
  });
});

describe('denials in the protocol’s own words, and the session goes on', () => {
  it('denies DROP TABLE, a DELETE that needs approval, a hidden write and unparseable text with 42501', async () => {
    const c = await client(analyst);
    try {
      const attempts = [
        ['DROP TABLE orders', /no-drops/],
        ['DELETE FROM orders WHERE id = 1', /writes-need-a-dba.*approval is required/],
        ['SELECT 1; DROP TABLE orders', /no-drops/],
        ['WITH d AS (DELETE FROM orders RETURNING *) SELECT count(*) FROM d', /writes-need-a-dba/],
        ['SELEC * FROM customers', /unparseable|could not be parsed|parse/i],
      ] as const;
      for (const [sql, reason] of attempts) {
        const error = (await c.query(sql).catch((e: unknown) => e)) as pg.DatabaseError;
        expect(error, sql).toBeInstanceOf(Error);
        expect(error.code, sql).toBe('42501');
        expect(error.message, sql).toMatch(reason);
        // The same connection keeps working after each denial.
        expect((await c.query('SELECT count(*)::int AS n FROM orders')).rows[0].n).toBe(6);
      }
    } finally {
      await c.end();
    }
  });

  it('answers a denial inside the extended protocol and keeps the connection in sync', async () => {
    const c = await client(analyst);
    try {
      const denied = (await c
        .query({ text: 'DELETE FROM orders WHERE id = $1', values: [1] })
        .catch((e: unknown) => e)) as pg.DatabaseError;
      expect(denied.code).toBe('42501');
      const rows = await c.query({ text: 'SELECT id, status FROM orders WHERE id = $1', values: [3] });
      expect(rows.rows).toEqual([{ id: '3', status: 'open' }]);
      const named = await c.query({
        name: 'by-status',
        text: 'SELECT count(*)::int AS n FROM orders WHERE status = $1',
        values: ['open'],
      });
      expect(named.rows[0].n).toBe(3);
      const again = await c.query({
        name: 'by-status',
        text: 'SELECT count(*)::int AS n FROM orders WHERE status = $1',
        values: ['shipped'],
      });
      expect(again.rows[0].n).toBe(2);
    } finally {
      await c.end();
    }
  });

  it('records each statement with its decision and rule', async () => {
    const before = proxy.recorder.events.length;
    const c = await client(analyst);
    await c.query('DROP TABLE customers').catch(() => undefined);
    await c.end();
    const events = proxy.recorder.events.slice(before).filter((e) => e.type === 'command');
    expect(events).toContainEqual(
      expect.objectContaining({
        type: 'command',
        decision: expect.objectContaining({ action: 'Deny', policy: 'agents/analysts', rule: 'no-drops' }),
        commands: [expect.objectContaining({ text: 'DROP TABLE customers', operations: ['ddl.drop'] })],
      }),
    );
  });
});

describe('identity', () => {
  it('refuses a forged token with a FATAL 28P01 naming why, and an empty password with 28000', async () => {
    const [header, payload] = analyst.split('.');
    const forged = `${header}.${payload}.${Buffer.from('not a signature').toString('base64url')}`;
    const bad = (await client(forged).catch((e: unknown) => e)) as pg.DatabaseError;
    expect(bad.code).toBe('28P01');
    expect(bad.message).toMatch(/token refused \(bad signature\)/);
    const none = (await client('').catch((e: unknown) => e)) as Error;
    expect(none.message).toMatch(/password|token/i);
  });

  it('refuses a token meant for another audience with 28000', async () => {
    const other = await oidcToken(harness.oidc, 'agent-analyst', { audience: 'https://billing.internal' });
    const refused = (await client(other).catch((e: unknown) => e)) as pg.DatabaseError;
    expect(refused.code).toBe('28000');
    expect(refused.message).toMatch(/wrong audience/);
  });

  it('never shows the database’s own password to the agent: the session runs as the Connection’s role', async () => {
    const c = await client(operator);
    const who = await c.query('SELECT current_user AS u');
    await c.end();
    expect(who.rows[0].u).toBe('app');
  });
});

describe('masking', () => {
  it('masks by column even under an alias, and by content in free text', async () => {
    const c = await client(analyst);
    const result = await c.query('SELECT card_number AS c, notes FROM customers WHERE id = 3');
    await c.end();
    expect(result.rows[0].c).not.toContain('378282246310005');
    expect(result.rows[0].c).toMatch(/0005$/);
    expect(result.rows[0].notes).not.toContain('4012888888881881');
  });

  it('does not mask for subjects the rule does not name', async () => {
    const c = await client(operator);
    const result = await c.query('SELECT email FROM customers WHERE id = 1');
    await c.end();
    expect(result.rows[0].email).toBe('ada@example.com');
  });

  it('masks COPY ... TO STDOUT', async () => {
    const result = await psql(analyst, 'COPY customers (full_name, email, card_number) TO STDOUT;\n');
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain('Ada Lovelace');
    expect(result.stdout).not.toContain('ada@example.com');
    expect(result.stdout).not.toContain('4111 1111 1111 1111');
  });

  it('keeps CommandComplete counts true', async () => {
    const c = await client(analyst);
    const result = await c.query('SELECT email FROM customers');
    await c.end();
    expect(result.rowCount).toBe(5);
    expect(result.command).toBe('SELECT');
  });
});
