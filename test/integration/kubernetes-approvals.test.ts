// A Kubernetes API request held for approval end to end: kubectl's PATCH waits in the sidecar, an
// ApprovalRequest appears, a reviewer in group dba approves it with plain kubectl patch, and the
// held kubectl completes; a denial reaches kubectl as Forbidden naming the reviewer. Real API
// server, real operator and control plane, the sidecar authenticated by a pod-bound token.
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { writeUserKubeconfig } from '../harness/kubeconfig.js';
import { oidcToken } from '../harness/oidc-token.js';
import { kubectl } from '../harness/run.js';
import {
  grantReviewers,
  revokeReviewers,
  setUpCrewNamespace,
  type CrewNamespace,
} from './support/approvals.js';
import { fixtureInNamespace } from './support/harness-enforcement.js';
import {
  createProxyAccount,
  startKubeProxy,
  type KubeProxyUnderTest,
  type ProxyAccount,
} from './support/kubernetes-proxy.js';
import { startLocalOperator, type LocalOperator } from './support/local-operator.js';
import { loadManifestsFromText } from './support/postgres-proxy.js';

const harness = inject('harness');
const id = `${Date.now()}`;
const ns = `agents-kappr-${id}`;
let local: LocalOperator;
let account: ProxyAccount;
let crew: CrewNamespace;
let proxy: KubeProxyUnderTest;
let analyst: string;
let reviewer: string;

beforeAll(async () => {
  local = await startLocalOperator(harness, id, { CREWGATE_OPERATOR_USERNAME: 'crewgate-admin' });
  // The cluster the Connection reaches, with the sidecar's own service account in it.
  account = await createProxyAccount(harness, `${ns}-target`);
  const policies = fixtureInNamespace('test/integration/fixtures/kube-policies.yaml', ns);
  crew = await setUpCrewNamespace(harness, local, {
    namespace: ns,
    policies,
    connectionName: 'cluster',
    connection: `apiVersion: crewgate.dev/v1alpha1
kind: Connection
metadata: { name: cluster, namespace: ${ns} }
spec: { type: kubernetes, address: '${harness.controlPlane.server}', credentialsRef: { name: cluster-credentials } }`,
  });
  proxy = await startKubeProxy(harness, account, {
    serveTls: true,
    approver: crew.approver,
    manifests: loadManifestsFromText(policies),
  });
  analyst = await oidcToken(harness.oidc, 'agent-analyst');
  reviewer = await writeUserKubeconfig(harness.controlPlane, 'rita', ['dba']);
  await grantReviewers(harness, `kube-${id}`, ['dba']);
  for (const name of ['relabel-me', 'relabel-me-too', 'relabel-me-later'])
    expect((await kubectl(harness, ['create', 'configmap', name, '-n', account.namespace])).code).toBe(0);
}, 90_000);

afterAll(async () => {
  await proxy?.listener.close();
  await local?.stop();
  await kubectl(harness, ['delete', 'namespace', `${ns}-target`, '--wait=false']);
  await revokeReviewers(harness, `kube-${id}`);
});

const pendingRequest = () => crew.pendingRequest(15_000);
const reviewWith = (name: string, decision: 'Approve' | 'Deny', comment: string) =>
  crew.review(reviewer, name, decision, comment);

/** The agent's kubectl, left running so the test can watch it wait. */
function heldKubectl(args: string[]): {
  done: Promise<{ code: number | null; stdout: string; stderr: string }>;
  running(): boolean;
  kill(): void;
} {
  const child = spawn(harness.controlPlane.kubectl, [
    '--kubeconfig',
    proxy.kubeconfig,
    '--token',
    analyst,
    '-n',
    account.namespace,
    '--request-timeout=60s',
    ...args,
  ]);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  return {
    done: new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr }))),
    running: () => child.exitCode === null,
    kill: () => child.kill('SIGKILL'),
  };
}

describe('a held kubectl request', () => {
  it('waits, appears as an ApprovalRequest, and completes once a dba approves', async () => {
    const held = heldKubectl(['label', 'configmap', 'relabel-me', 'tier=gold']);
    const name = await pendingRequest();
    const listed = await kubectl(harness, ['get', 'approvalrequests', '-n', ns]);
    expect(listed.stdout).toMatch(
      new RegExp(
        `${name}\\s+Pending\\s+agent-analyst\\s+cluster\\s+PATCH /api/v1/namespaces/${account.namespace}/configmaps/relabel-me`,
      ),
    );
    expect(held.running()).toBe(true);
    expect((await reviewWith(name, 'Approve', 'labels are fine')).stderr).toBe('');
    const result = await held.done;
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/configmap\/relabel-me labeled/);
    const label = await kubectl(harness, [
      'get',
      'configmap',
      'relabel-me',
      '-n',
      account.namespace,
      '-o',
      'jsonpath={.metadata.labels.tier}',
    ]);
    expect(label.stdout).toBe('gold');
  });

  it('is refused as Forbidden naming the reviewer and the comment when denied, and nothing changes', async () => {
    const held = heldKubectl(['label', 'configmap', 'relabel-me-too', 'tier=gold']);
    const name = await pendingRequest();
    expect((await reviewWith(name, 'Deny', 'not without a ticket')).stderr).toBe('');
    const result = await held.done;
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(
      /Error from server \(Forbidden\): crewgate: .*denied by rita: not without a ticket/,
    );
    const label = await kubectl(harness, [
      'get',
      'configmap',
      'relabel-me-too',
      '-n',
      account.namespace,
      '-o',
      'jsonpath={.metadata.labels.tier}',
    ]);
    expect(label.stdout).toBe('');
  });

  it('is withdrawn (Cancelled) when kubectl goes away while waiting, and nothing runs later', async () => {
    const held = heldKubectl(['label', 'configmap', 'relabel-me-later', 'tier=gold']);
    const name = await pendingRequest();
    held.kill();
    await held.done;
    expect(await crew.phaseReaching(name, 'Cancelled')).toBe('Cancelled');
    expect((await reviewWith(name, 'Approve', 'too late')).code).not.toBe(0);
    const label = await kubectl(harness, [
      'get',
      'configmap',
      'relabel-me-later',
      '-n',
      account.namespace,
      '-o',
      'jsonpath={.metadata.labels.tier}',
    ]);
    expect(label.stdout).toBe('');
  });
});
