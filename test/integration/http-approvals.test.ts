// A held HTTP request end to end: curl's POST /v1/refunds hits a RequireApproval rule, the sidecar
// holds it while an ApprovalRequest waits in the cluster, a reviewer in group dba approves (or
// denies) with plain kubectl patch, and only then does the request reach the API. Real API server,
// real operator and webhooks, the sidecar's ControlPlaneApprover authenticated by a pod-bound token.
import { spawn } from 'node:child_process';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { writeUserKubeconfig } from '../harness/kubeconfig.js';
import { oidcToken } from '../harness/oidc-token.js';
import { kubectl } from '../harness/run.js';
import {
  grantReviewers,
  pendingApprovalRequest,
  reviewApprovalRequest,
  revokeReviewers,
  setUpCrewNamespace,
  type CrewNamespace,
} from './support/approvals.js';
import { fixtureInNamespace } from './support/harness-enforcement.js';
import { billingTarget, startHttpProxy, type HttpProxyUnderTest } from './support/http-proxy.js';
import { startJsonApi, type JsonApi } from './support/json-api.js';
import { startLocalOperator, type LocalOperator } from './support/local-operator.js';
import { loadManifestsFromText } from './support/postgres-proxy.js';

const harness = inject('harness');
const id = `${Date.now()}`;
const ns = `agents-http-appr-${id}`;
let local: LocalOperator;
let api: JsonApi;
let crew: CrewNamespace;
let proxy: HttpProxyUnderTest;
let analyst: string;
let reviewer: string;

beforeAll(async () => {
  local = await startLocalOperator(harness, id, { CREWGATE_OPERATOR_USERNAME: 'crewgate-admin' });
  api = await startJsonApi();
  const policies = fixtureInNamespace('test/integration/fixtures/http-policies.yaml', ns);
  crew = await setUpCrewNamespace(harness, local, {
    namespace: ns,
    policies,
    connectionName: 'billing-api',
    connection: `apiVersion: crewgate.dev/v1alpha1
kind: Connection
metadata: { name: billing-api, namespace: ${ns} }
spec: { type: http, address: '${api.url}', credentialsRef: { name: billing-api-credentials } }`,
  });
  proxy = await startHttpProxy(harness, {
    target: billingTarget(api.url),
    approver: crew.approver,
    manifests: loadManifestsFromText(policies),
  });
  analyst = await oidcToken(harness.oidc, 'agent-analyst');
  reviewer = await writeUserKubeconfig(harness.controlPlane, 'rita', ['dba']);
  await grantReviewers(harness, `http-${id}`, ['dba']);
}, 90_000);

afterAll(async () => {
  await proxy?.listener.close();
  await api?.close();
  await local?.stop();
  await revokeReviewers(harness, `http-${id}`);
});

// A failed test must not leave its request Pending for the next test to find and review.
afterEach(async () => {
  for (;;) {
    const left = await pendingApprovalRequest(harness, ns, 0).catch(() => undefined);
    if (left === undefined) return;
    await reviewApprovalRequest(harness, reviewer, ns, left, 'Deny', 'test cleanup');
  }
});

/** curl in the background, so the test can act as the reviewer while it waits. */
function startCurl(body: string) {
  const child = spawn('curl', [
    '-sS',
    '-w',
    '\n%{http_code}',
    '-H',
    `Authorization: Bearer ${analyst}`,
    '-H',
    'Content-Type: application/json',
    '-d',
    body,
    `${proxy.url}/v1/refunds`,
  ]);
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  const done = new Promise<{ status: number; body: string }>((resolve) =>
    child.on('close', () => {
      const at = out.lastIndexOf('\n');
      resolve({ status: Number(out.slice(at + 1)), body: out.slice(0, at) });
    }),
  );
  return { child, done };
}

describe('a held POST /v1/refunds', () => {
  it('waits while an ApprovalRequest is Pending and reaches the API once a dba approves with kubectl patch', async () => {
    const before = api.received.length;
    const curl = startCurl('{"order":4,"amount":12.5}');
    const name = await crew.pendingRequest();
    const listed = await kubectl(harness, ['get', 'approvalrequests', '-n', ns]);
    expect(listed.stdout).toMatch(
      new RegExp(`${name}\\s+Pending\\s+agent-analyst\\s+billing-api\\s+POST /v1/refunds`),
    );
    expect(curl.child.exitCode).toBeNull(); // still held
    expect(api.received.length).toBe(before); // nothing reached the API yet
    const approvedAt = Date.now();
    expect((await crew.review(reviewer, name, 'Approve', 'refund agreed')).stderr).toBe('');
    const { status } = await curl.done;
    console.log(`held POST completed ${Date.now() - approvedAt} ms after the reviewer's patch`);
    expect(status).toBe(200);
    expect(api.received.slice(before).map((r) => `${r.method} ${r.url} ${r.body}`)).toEqual([
      'POST /v1/refunds {"order":4,"amount":12.5}',
    ]);
    const command = proxy.recorder.events.findLast((e) => e.type === 'command');
    expect(command).toMatchObject({
      decision: { action: 'Allow', rule: 'refunds-need-a-dba' },
      approval: expect.stringContaining(name),
    });
  });

  it('is refused with 403 naming the rule, the reviewer and the comment when denied; the API never sees it', async () => {
    const before = api.received.length;
    const curl = startCurl('{"order":5,"amount":9000}');
    const name = await crew.pendingRequest();
    expect((await crew.review(reviewer, name, 'Deny', 'too large, ask finance')).stderr).toBe('');
    const { status, body } = await curl.done;
    expect(status).toBe(403);
    expect(JSON.parse(body)).toMatchObject({
      error: 'denied',
      rule: 'refunds-need-a-dba',
      reason: expect.stringMatching(/rita: too large, ask finance/),
      approvalRequest: expect.stringContaining(name),
    });
    expect(api.received.length).toBe(before);
  });

  it('withdraws the request when the client gives up, and nothing is sent later', async () => {
    const before = api.received.length;
    const curl = startCurl('{"order":6,"amount":1}');
    const name = await crew.pendingRequest();
    curl.child.kill('SIGTERM');
    await curl.done;
    expect(await crew.phaseReaching(name, 'Cancelled')).toBe('Cancelled');
    expect(api.received.length).toBe(before);
  });
});
