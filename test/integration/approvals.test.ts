// Just-in-time approvals end to end: psql's UPDATE is held, an ApprovalRequest appears, a reviewer
// in group dba approves it with plain kubectl patch, and the UPDATE completes. Real API server,
// real operator and webhooks, real PostgreSQL, the sidecar authenticated by a pod-bound token.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ControlPlaneApprover } from '../../sidecar/control-plane/control-plane-approver.js';
import { oidcToken } from '../harness/oidc-token.js';
import { repositoryRoot } from '../harness/paths.js';
import { freePort } from '../harness/ports.js';
import { kubectl } from '../harness/run.js';
import { setUpApprovalsNamespace, type ApprovalsNamespace } from './support/approvals-setup.js';
import { startLocalOperator, type LocalOperator } from './support/local-operator.js';
import { loadManifestsFromText, startProxy, type ProxyUnderTest } from './support/postgres-proxy.js';

const harness = inject('harness');
const id = `${Date.now()}`;
let local: LocalOperator;
let proxy: ProxyUnderTest;
let analyst: string;
let approvals: ApprovalsNamespace;
let ns: string;

beforeAll(async () => {
  local = await startLocalOperator(harness, id, { CREWGATE_OPERATOR_USERNAME: 'crewgate-admin' });
  // The same policies the proxy tests use, in this namespace; the sidecar's pod may use shop-db.
  const policies = (namespace: string) =>
    readFileSync(join(repositoryRoot, 'test/integration/fixtures/shop-policies.yaml'), 'utf8').replaceAll(
      'namespace: agents',
      `namespace: ${namespace}`,
    );
  approvals = await setUpApprovalsNamespace(harness, local, {
    id,
    policies,
    connectionName: 'shop-db',
    connection: (namespace) => `apiVersion: crewgate.dev/v1alpha1
kind: Connection
metadata: { name: shop-db, namespace: ${namespace} }
spec: { type: postgres, address: ${harness.postgres.host}:${harness.postgres.port}, database: shop, credentialsRef: { name: shop-db-credentials } }`,
  });
  ns = approvals.ns;
  proxy = await startProxy(harness, {
    approver: approvals.approver,
    manifests: loadManifestsFromText(policies(ns)),
  });
  analyst = await oidcToken(harness.oidc, 'agent-analyst');
}, 90_000);

afterAll(async () => {
  await proxy?.listener.close();
  await local?.stop();
});

const pendingRequest = () => approvals.pendingRequest();
const reviewWith = (name: string, decision: 'Approve' | 'Deny', comment: string) =>
  approvals.reviewWith(name, decision, comment);

describe('a held UPDATE', () => {
  it('blocks psql, appears as an ApprovalRequest, and completes once a dba approves with kubectl patch', async () => {
    const psql = spawn(
      join(harness.postgres.binDir, 'psql'),
      ['-XAt', '-c', "UPDATE orders SET status = 'refunded' WHERE id = 4"],
      {
        env: {
          ...process.env,
          PGHOST: '127.0.0.1',
          PGPORT: String(proxy.listener.port),
          PGUSER: 'agent',
          PGDATABASE: 'shop',
          PGPASSWORD: analyst,
          PGSSLMODE: 'disable',
        },
      },
    );
    let out = '';
    let err = '';
    psql.stdout.on('data', (c: Buffer) => (out += c.toString()));
    psql.stderr.on('data', (c: Buffer) => (err += c.toString()));
    const name = await pendingRequest();
    const listed = await kubectl(harness, ['get', 'approvalrequests', '-n', ns]);
    expect(listed.stdout).toMatch(
      new RegExp(
        `${name}\\s+Pending\\s+agent-analyst\\s+shop-db\\s+UPDATE orders SET status = 'refunded' WHERE id = 4`,
      ),
    );
    expect(psql.exitCode).toBeNull(); // still waiting
    const approvedAt = Date.now();
    expect((await reviewWith(name, 'Approve', 'refund agreed')).stderr).toBe('');
    const code = await new Promise<number | null>((resolve) => psql.on('close', resolve));
    console.log(`held UPDATE completed ${Date.now() - approvedAt} ms after the reviewer's patch`);
    expect(code).toBe(0);
    expect(err).toMatch(/waiting for approval: ApprovalRequest/);
    expect(out.trim()).toBe('UPDATE 1');
    const c = new pg.Client({
      host: harness.postgres.host,
      port: harness.postgres.port,
      user: harness.postgres.app.user,
      password: harness.postgres.app.password,
      database: 'shop',
    });
    await c.connect();
    expect((await c.query('SELECT status FROM orders WHERE id = 4')).rows[0].status).toBe('refunded');
    await c.end();
    const phase = (
      await kubectl(harness, ['get', 'approvalrequest', name, '-n', ns, '-o', 'jsonpath={.status.phase}'])
    ).stdout;
    expect(phase).toBe('Executed');
  });

  it('is refused with 42501 naming the reviewer and their comment when denied (node-postgres, extended protocol)', async () => {
    const client = new pg.Client({
      host: '127.0.0.1',
      port: proxy.listener.port,
      user: 'agent',
      database: 'shop',
      password: analyst,
    });
    await client.connect();
    const pending = client
      .query({ text: 'DELETE FROM orders WHERE id = $1', values: [6] })
      .catch((e: unknown) => e as pg.DatabaseError);
    const name = await pendingRequest();
    expect((await reviewWith(name, 'Deny', 'not without a ticket')).stderr).toBe('');
    const error = await pending;
    expect(error).toBeInstanceOf(Error);
    expect((error as pg.DatabaseError).code).toBe('42501');
    expect((error as pg.DatabaseError).message).toMatch(/denied by rita: not without a ticket/);
    expect((await client.query('SELECT count(*)::int AS n FROM orders WHERE id = 6')).rows[0].n).toBe(1);
    await client.end();
  });

  it('is withdrawn (Cancelled) when the client hangs up while waiting, and nothing runs later', async () => {
    const client = new pg.Client({
      host: '127.0.0.1',
      port: proxy.listener.port,
      user: 'agent',
      database: 'shop',
      password: analyst,
    });
    client.on('error', () => undefined);
    await client.connect();
    void client.query("UPDATE orders SET status = 'lost' WHERE id = 5").catch(() => undefined);
    const name = await pendingRequest();
    (client as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy();
    const deadline = Date.now() + 10_000;
    let phase = '';
    while (Date.now() < deadline && phase !== 'Cancelled') {
      phase = (
        await kubectl(harness, ['get', 'approvalrequest', name, '-n', ns, '-o', 'jsonpath={.status.phase}'])
      ).stdout;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(phase).toBe('Cancelled');
    const late = await reviewWith(name, 'Approve', 'too late');
    expect(late.code).not.toBe(0);
    const c = new pg.Client({
      host: harness.postgres.host,
      port: harness.postgres.port,
      user: harness.postgres.app.user,
      password: harness.postgres.app.password,
      database: 'shop',
    });
    await c.connect();
    expect((await c.query('SELECT status FROM orders WHERE id = 5')).rows[0].status).not.toBe('lost');
    await c.end();
  });
});

describe('a held command when the control plane cannot be reached', () => {
  it('is refused, never run', async () => {
    const closedPort = await freePort();
    const tokenFile = join(mkdtempSync(join(tmpdir(), 'crewgate-sidecar-token-')), 'token');
    writeFileSync(tokenFile, 'unused');
    const isolated = await startProxy(harness, {
      approver: new ControlPlaneApprover({ url: `https://127.0.0.1:${closedPort}`, tokenFile }),
    });
    const client = new pg.Client({
      host: '127.0.0.1',
      port: isolated.listener.port,
      user: 'agent',
      database: 'shop',
      password: analyst,
    });
    await client.connect();
    const error = (await client
      .query('DELETE FROM orders WHERE id = 2')
      .catch((e: unknown) => e)) as pg.DatabaseError;
    expect(error.code).toBe('42501');
    expect(error.message).toMatch(/approval could not be obtained: control plane unreachable/);
    expect((await client.query('SELECT count(*)::int AS n FROM orders WHERE id = 2')).rows[0].n).toBe(1);
    await client.end();
    await isolated.listener.close();
  });
});
