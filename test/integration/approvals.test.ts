// Just-in-time approvals end to end: psql's UPDATE is held, an ApprovalRequest appears, a reviewer
// in group dba approves it with plain kubectl patch, and the UPDATE completes. Real API server,
// real operator and webhooks, real PostgreSQL, the sidecar authenticated by a pod-bound token.
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ControlPlaneApprover } from '../../sidecar/control-plane/control-plane-approver.js';
import { writeUserKubeconfig } from '../harness/kubeconfig.js';
import { freePort } from '../harness/ports.js';
import { kubectl } from '../harness/run.js';
import { startApprovalCrew, type ApprovalCrew } from './support/approval-crew.js';
import { grantReviewers, revokeReviewers } from './support/approvals.js';
import { startLocalOperator, type LocalOperator } from './support/local-operator.js';
import { agentPgEnv, shopAppClient, startProxy } from './support/postgres-proxy.js';

const harness = inject('harness');
const id = `${Date.now()}`;
const ns = `agents-appr-${id}`;
let local: LocalOperator;
let crew: ApprovalCrew;
let proxy: ApprovalCrew['proxy'];
let analyst: string;
let reviewer: string;

beforeAll(async () => {
  local = await startLocalOperator(harness, id, { CREWGATE_OPERATOR_USERNAME: 'crewgate-admin' });
  crew = await startApprovalCrew(harness, local, ns);
  proxy = crew.proxy;
  analyst = crew.analystToken;
  reviewer = await writeUserKubeconfig(harness.controlPlane, 'rita', ['dba']);
  await grantReviewers(harness, id, ['dba', 'sre']);
}, 90_000);

afterAll(async () => {
  await crew?.stop();
  await local?.stop();
  await revokeReviewers(harness, id);
});

const pendingRequest = () => crew.pendingRequest();
const reviewWith = (name: string, decision: 'Approve' | 'Deny', comment: string) =>
  crew.review(reviewer, name, decision, comment);

describe('a held UPDATE', () => {
  it('blocks psql, appears as an ApprovalRequest, and completes once a dba approves with kubectl patch', async () => {
    const psql = spawn(
      join(harness.postgres.binDir, 'psql'),
      ['-XAt', '-c', "UPDATE orders SET status = 'refunded' WHERE id = 4"],
      { env: agentPgEnv(proxy.listener.port, analyst) },
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
    const c = await directClient();
    expect((await c.query('SELECT status FROM orders WHERE id = 4')).rows[0].status).toBe('refunded');
    await c.end();
    expect(await crew.phase(name)).toBe('Executed');
  });

  it('is refused with 42501 naming the reviewer and their comment when denied (node-postgres, extended protocol)', async () => {
    const client = await crew.agentClient();
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
    const client = await crew.agentClient();
    client.on('error', () => undefined);
    void client.query("UPDATE orders SET status = 'lost' WHERE id = 5").catch(() => undefined);
    const name = await pendingRequest();
    (client as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy();
    expect(await crew.phaseReaching(name, 'Cancelled')).toBe('Cancelled');
    const late = await reviewWith(name, 'Approve', 'too late');
    expect(late.code).not.toBe(0);
    const c = await directClient();
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

/** The request's status.approvedBy once the operator has reconciled `reviews` reviews. */
async function approvedByAfter(namespace: string, name: string, reviews: number): Promise<string> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const got = JSON.parse(
      (await kubectl(harness, ['get', 'approvalrequest', name, '-n', namespace, '-o', 'json'])).stdout,
    ) as {
      metadata: { generation: number };
      spec: { reviews: unknown[] };
      status?: { observedGeneration?: number; approvedBy?: string[] };
    };
    if (
      got.spec.reviews.length >= reviews &&
      (got.status?.observedGeneration ?? 0) >= got.metadata.generation
    )
      return (got.status?.approvedBy ?? []).join(',');
    if (Date.now() > deadline) throw new Error(`${name} was not reconciled after ${reviews} reviews`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const directClient = () => shopAppClient(harness);

describe('reviews the webhook refuses', () => {
  it('refuses a reviewer outside the approver groups with the webhook message; the request stays Pending', async () => {
    const outsider = await writeUserKubeconfig(harness.controlPlane, 'sam', ['sre']);
    const client = await crew.agentClient();
    const pending = client
      .query("UPDATE orders SET status = 'outsider' WHERE id = 3")
      .catch((e: unknown) => e as pg.DatabaseError);
    const name = await pendingRequest();
    const refused = await crew.review(outsider, name, 'Approve', 'looks fine to me');
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/sam is in none of the approver groups \[dba\]/);
    expect(await crew.phase(name)).toBe('Pending');
    expect((await reviewWith(name, 'Deny', 'sre cannot approve writes')).stderr).toBe('');
    const error = await pending;
    expect((error as pg.DatabaseError).code).toBe('42501');
    expect((error as pg.DatabaseError).message).toMatch(/denied by rita: sre cannot approve writes/);
    await client.end();
    const c = await directClient();
    expect((await c.query('SELECT status FROM orders WHERE id = 3')).rows[0].status).not.toBe('outsider');
    await c.end();
  });
});

describe('minApprovals: 2', () => {
  let pair: ApprovalCrew;
  beforeAll(async () => {
    pair = await startApprovalCrew(harness, local, `agents-appr2-${id}`, (p) =>
      p.replace(
        'approval: { approverGroups: [dba] }',
        'approval: { approverGroups: [dba], minApprovals: 2 }',
      ),
    );
  }, 60_000);
  afterAll(() => pair?.stop());

  it('needs two distinct reviewers: the same reviewer twice counts once', async () => {
    const dora = await writeUserKubeconfig(harness.controlPlane, 'dora', ['dba']);
    const client = await pair.agentClient();
    let settled = false;
    const pending = client.query("UPDATE orders SET status = 'two-person' WHERE id = 4").finally(() => {
      settled = true;
    });
    const name = await pair.pendingRequest();
    expect((await pair.review(reviewer, name, 'Approve', 'first')).stderr).toBe('');
    expect(await approvedByAfter(pair.namespace, name, 1)).toBe('rita');
    expect(await pair.phase(name)).toBe('Pending');
    const again = await pair.review(reviewer, name, 'Approve', 'me again');
    expect(again.code).not.toBe(0);
    expect(again.stderr).toMatch(
      /rita already reviewed this request \(reviews\[0\]\); each reviewer counts once/,
    );
    expect(await pair.phase(name)).toBe('Pending');
    expect(settled).toBe(false);
    expect((await pair.review(dora, name, 'Approve', 'second')).stderr).toBe('');
    expect((await pending).rowCount).toBe(1);
    expect(await approvedByAfter(pair.namespace, name, 2)).toBe('rita,dora');
    await client.end();
    const c = await directClient();
    expect((await c.query('SELECT status FROM orders WHERE id = 4')).rows[0].status).toBe('two-person');
    await c.end();
  });
});

describe('expiry', () => {
  let hurried: ApprovalCrew;
  beforeAll(async () => {
    hurried = await startApprovalCrew(harness, local, `agents-appr3-${id}`, (p) =>
      p.replace('approval: { approverGroups: [dba] }', 'approval: { approverGroups: [dba], timeout: 3s }'),
    );
  }, 60_000);
  afterAll(() => hurried?.stop());

  it('refuses the held command with 42501 saying it expired, and closes the request to late reviews', async () => {
    const client = await hurried.agentClient();
    const began = Date.now();
    const error = (await client
      .query('DELETE FROM orders WHERE id = 1')
      .catch((e: unknown) => e)) as pg.DatabaseError;
    expect(Date.now() - began).toBeGreaterThanOrEqual(2_500);
    expect(error.code).toBe('42501');
    expect(error.message).toMatch(/expired without a decision/);
    const name = (
      await kubectl(harness, [
        'get',
        'approvalrequests',
        '-n',
        hurried.namespace,
        '-o',
        'jsonpath={.items[0].metadata.name}',
      ])
    ).stdout;
    expect(await hurried.phase(name)).toBe('Expired');
    const late = await hurried.review(reviewer, name, 'Approve', 'sorry, was at lunch');
    expect(late.code).not.toBe(0);
    expect(late.stderr).toMatch(/the request is Expired; reviews are closed/);
    expect((await client.query('SELECT count(*)::int AS n FROM orders WHERE id = 1')).rows[0].n).toBe(1);
    await client.end();
  });
});
