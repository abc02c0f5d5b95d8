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
import { writeUserKubeconfig } from '../harness/kubeconfig.js';
import { oidcToken } from '../harness/oidc-token.js';
import { repositoryRoot } from '../harness/paths.js';
import { freePort } from '../harness/ports.js';
import { kubectl } from '../harness/run.js';
import { pendingApprovalRequest, reviewApprovalRequest } from './support/approval-reviews.js';
import { startLocalOperator, type LocalOperator } from './support/local-operator.js';
import { loadManifestsFromText, startProxy, type ProxyUnderTest } from './support/postgres-proxy.js';

const harness = inject('harness');
const id = `${Date.now()}`;
const ns = `agents-appr-${id}`;
let local: LocalOperator;
let proxy: ProxyUnderTest;
let analyst: string;
let reviewer: string;

const apply = (manifest: string) => kubectl(harness, ['apply', '-f', '-'], { input: manifest });

beforeAll(async () => {
  local = await startLocalOperator(harness, id, { CREWGATE_OPERATOR_USERNAME: 'crewgate-admin' });
  await apply(
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: ns, labels: { 'crewgate-test': id, 'crewgate.dev/inject': 'enabled' } },
    }),
  );
  await kubectl(harness, ['create', 'serviceaccount', 'research-crew', '-n', ns]);
  // The same policies the proxy tests use, in this namespace; the sidecar's pod may use shop-db.
  const policies = readFileSync(
    join(repositoryRoot, 'test/integration/fixtures/shop-policies.yaml'),
    'utf8',
  ).replaceAll('namespace: agents', `namespace: ${ns}`);
  const setup = await apply(`${policies}
---
apiVersion: crewgate.dev/v1alpha1
kind: Connection
metadata: { name: shop-db, namespace: ${ns} }
spec: { type: postgres, address: ${harness.postgres.host}:${harness.postgres.port}, database: shop, credentialsRef: { name: shop-db-credentials } }
---
apiVersion: crewgate.dev/v1alpha1
kind: AccessPolicy
metadata: { name: crew-pod, namespace: ${ns} }
spec:
  subjects: [{ serviceAccount: { name: research-crew } }]
  connections: [shop-db]
  defaultAction: Deny
---
apiVersion: v1
kind: Pod
metadata: { name: crew-0, namespace: ${ns}, annotations: { crewgate.dev/connections: shop-db } }
spec:
  serviceAccountName: research-crew
  containers: [{ name: agent, image: python:3.12 }]
`);
  expect(setup.stderr).toBe('');
  const token = (
    await kubectl(harness, [
      'create',
      'token',
      'research-crew',
      '-n',
      ns,
      '--audience=crewgate',
      '--bound-object-kind=Pod',
      '--bound-object-name=crew-0',
    ])
  ).stdout.trim();
  const tokenFile = join(mkdtempSync(join(tmpdir(), 'crewgate-sidecar-token-')), 'token');
  writeFileSync(tokenFile, token);
  const approver = new ControlPlaneApprover({
    url: local.sidecarApiUrl,
    tokenFile,
    caCertificates: [local.operator.caCertificatePem],
  });
  proxy = await startProxy(harness, { approver, manifests: loadManifestsFromText(policies) });
  analyst = await oidcToken(harness.oidc, 'agent-analyst');
  reviewer = await writeUserKubeconfig(harness.controlPlane, 'rita', ['dba']);
  await apply(`apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: { name: crewgate-reviewer-${id} }
rules: [{ apiGroups: [crewgate.dev], resources: [approvalrequests], verbs: [get, list, watch, patch] }]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: { name: crewgate-reviewer-${id} }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: crewgate-reviewer-${id} }
subjects: [{ apiGroup: rbac.authorization.k8s.io, kind: Group, name: dba }]
`);
}, 90_000);

afterAll(async () => {
  await proxy?.listener.close();
  await local?.stop();
});

const pendingRequest = () => pendingApprovalRequest(harness, ns);

const reviewWith = (name: string, decision: 'Approve' | 'Deny', comment: string) =>
  reviewApprovalRequest(harness, reviewer, ns, name, decision, comment);

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
