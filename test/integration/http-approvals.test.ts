// A held HTTP request end to end: curl's POST /v1/refunds hits a RequireApproval rule, the sidecar
// holds it while an ApprovalRequest waits in the cluster, a reviewer in group dba approves (or
// denies) with plain kubectl patch, and only then does the request reach the API. Real API server,
// real operator and webhooks, the sidecar's ControlPlaneApprover authenticated by a pod-bound token.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { ControlPlaneApprover } from '../../sidecar/control-plane/control-plane-approver.js';
import { writeUserKubeconfig } from '../harness/kubeconfig.js';
import { oidcToken } from '../harness/oidc-token.js';
import { repositoryRoot } from '../harness/paths.js';
import { kubectl } from '../harness/run.js';
import { pendingApprovalRequest, reviewApprovalRequest } from './support/approval-reviews.js';
import { billingTarget, startHttpProxy, type HttpProxyUnderTest } from './support/http-proxy.js';
import { startJsonApi, type JsonApi } from './support/json-api.js';
import { startLocalOperator, type LocalOperator } from './support/local-operator.js';
import { loadManifestsFromText } from './support/postgres-proxy.js';

const harness = inject('harness');
const id = `${Date.now()}`;
const ns = `agents-http-appr-${id}`;
let local: LocalOperator;
let api: JsonApi;
let proxy: HttpProxyUnderTest;
let analyst: string;
let reviewer: string;

const apply = (manifest: string) => kubectl(harness, ['apply', '-f', '-'], { input: manifest });

beforeAll(async () => {
  local = await startLocalOperator(harness, id, { CREWGATE_OPERATOR_USERNAME: 'crewgate-admin' });
  api = await startJsonApi();
  await apply(
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: ns, labels: { 'crewgate-test': id, 'crewgate.dev/inject': 'enabled' } },
    }),
  );
  await kubectl(harness, ['create', 'serviceaccount', 'research-crew', '-n', ns]);
  const policies = readFileSync(
    join(repositoryRoot, 'test/integration/fixtures/http-policies.yaml'),
    'utf8',
  ).replaceAll('namespace: agents', `namespace: ${ns}`);
  const setup = await apply(`${policies}
---
apiVersion: crewgate.dev/v1alpha1
kind: Connection
metadata: { name: billing-api, namespace: ${ns} }
spec: { type: http, address: '${api.url}', credentialsRef: { name: billing-api-credentials } }
---
apiVersion: crewgate.dev/v1alpha1
kind: AccessPolicy
metadata: { name: crew-pod, namespace: ${ns} }
spec:
  subjects: [{ serviceAccount: { name: research-crew } }]
  connections: [billing-api]
  defaultAction: Deny
---
apiVersion: v1
kind: Pod
metadata: { name: crew-0, namespace: ${ns}, annotations: { crewgate.dev/connections: billing-api } }
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
  proxy = await startHttpProxy(harness, {
    target: billingTarget(api.url),
    approver,
    manifests: loadManifestsFromText(policies),
  });
  analyst = await oidcToken(harness.oidc, 'agent-analyst');
  reviewer = await writeUserKubeconfig(harness.controlPlane, 'rita', ['dba']);
  await apply(`apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: { name: crewgate-http-reviewer-${id} }
rules: [{ apiGroups: [crewgate.dev], resources: [approvalrequests], verbs: [get, list, watch, patch] }]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: { name: crewgate-http-reviewer-${id} }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: crewgate-http-reviewer-${id} }
subjects: [{ apiGroup: rbac.authorization.k8s.io, kind: Group, name: dba }]
`);
}, 90_000);

afterAll(async () => {
  await proxy?.listener.close();
  await api?.close();
  await local?.stop();
  await kubectl(harness, ['delete', 'clusterrole,clusterrolebinding', `crewgate-http-reviewer-${id}`]);
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
    const name = await pendingApprovalRequest(harness, ns);
    const listed = await kubectl(harness, ['get', 'approvalrequests', '-n', ns]);
    expect(listed.stdout).toMatch(
      new RegExp(`${name}\\s+Pending\\s+agent-analyst\\s+billing-api\\s+POST /v1/refunds`),
    );
    expect(curl.child.exitCode).toBeNull(); // still held
    expect(api.received.length).toBe(before); // nothing reached the API yet
    const approvedAt = Date.now();
    expect(
      (await reviewApprovalRequest(harness, reviewer, ns, name, 'Approve', 'refund agreed')).stderr,
    ).toBe('');
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
    const name = await pendingApprovalRequest(harness, ns);
    expect(
      (await reviewApprovalRequest(harness, reviewer, ns, name, 'Deny', 'too large, ask finance')).stderr,
    ).toBe('');
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
    const name = await pendingApprovalRequest(harness, ns);
    curl.child.kill('SIGTERM');
    await curl.done;
    const deadline = Date.now() + 10_000;
    let phase = '';
    while (Date.now() < deadline) {
      phase = (
        await kubectl(harness, ['get', 'approvalrequest', name, '-n', ns, '-o', 'jsonpath={.status.phase}'])
      ).stdout;
      if (phase !== 'Pending') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(phase).toBe('Cancelled');
    expect(api.received.length).toBe(before);
  });
});
