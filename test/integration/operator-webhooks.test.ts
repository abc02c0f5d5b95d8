// The operator's admission webhooks, called by the real API server (registered by URL, as for an
// operator running outside the cluster): pod injection, policy validation, ApprovalRequest review.
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { operatorConfigFrom } from '../../operator/config.js';
import { kubeClients } from '../../operator/kube/client.js';
import { startOperator, type RunningOperator } from '../../operator/operator.js';
import { silentLogger } from '../../sidecar/logging.js';
import { writeUserKubeconfig } from '../harness/kubeconfig.js';
import { localWebhookConfigurations } from '../harness/local-webhooks.js';
import { freePort } from '../harness/ports.js';
import { kubectl } from '../harness/run.js';
import { approvalPhaseReaching, grantReviewers } from './support/approvals.js';

const harness = inject('harness');
const id = `${Date.now()}`;
const operatorNs = `crewgate-op-${id}`;
const agents = `agents-${id}`;
const plain = `plain-${id}`;
const configName = `crewgate-test-${id}`;
let operator: RunningOperator;

const apply = (manifest: string, kubeconfig?: string) =>
  kubectl(harness, ['apply', '-f', '-'], { input: manifest, kubeconfig });

beforeAll(async () => {
  const webhookPort = await freePort();
  const sidecarApiPort = await freePort();
  for (const [ns, labels] of [
    [operatorNs, {}],
    [agents, { 'crewgate-test': id, 'crewgate.dev/inject': 'enabled' }],
    [plain, { 'crewgate-test': id }],
  ] as const) {
    expect(
      (await apply(JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns, labels } })))
        .code,
    ).toBe(0);
  }
  expect(
    (
      await apply(
        localWebhookConfigurations(configName, webhookPort, { namespaceLabel: ['crewgate-test', id] }),
      )
    ).stderr,
  ).toBe('');
  const config = operatorConfigFrom([], {
    CREWGATE_NAMESPACE: operatorNs,
    CREWGATE_IDENTITY: 'test-operator',
    CREWGATE_BIND_ADDRESS: '127.0.0.1',
    CREWGATE_WEBHOOK_PORT: String(webhookPort),
    CREWGATE_SIDECAR_API_PORT: String(sidecarApiPort),
    CREWGATE_METRICS_PORT: '0',
    CREWGATE_EXTRA_IP_ADDRESSES: '127.0.0.1',
    CREWGATE_CONTROL_PLANE_URL: `https://127.0.0.1:${sidecarApiPort}`,
    CREWGATE_MUTATING_WEBHOOK_CONFIGURATIONS: configName,
    CREWGATE_VALIDATING_WEBHOOK_CONFIGURATIONS: configName,
  });
  operator = await startOperator(config, kubeClients(harness.controlPlane.adminKubeconfig), silentLogger());

  await kubectl(harness, ['create', 'serviceaccount', 'research-crew', '-n', agents]);
  await kubectl(harness, [
    'create',
    'secret',
    'generic',
    'shop-db-credentials',
    '-n',
    agents,
    '--from-literal=username=app',
    '--from-literal=password=never-in-a-pod',
  ]);
  const setup = await apply(`apiVersion: crewgate.dev/v1alpha1
kind: Connection
metadata: { name: shop-db, namespace: ${agents} }
spec: { type: postgres, address: 10.0.0.20:5432, database: shop, credentialsRef: { name: shop-db-credentials } }
---
apiVersion: crewgate.dev/v1alpha1
kind: Connection
metadata: { name: billing-db, namespace: ${agents} }
spec: { type: postgres, address: 10.0.0.21:5432, database: billing, credentialsRef: { name: shop-db-credentials } }
---
apiVersion: crewgate.dev/v1alpha1
kind: AccessPolicy
metadata: { name: crew, namespace: ${agents} }
spec:
  subjects: [{ serviceAccount: { name: research-crew } }]
  connections: [shop-db]
  rules: [{ name: reads, match: { operations: [select] }, action: Allow }]
`);
  expect(setup.stderr).toBe('');
}, 60_000);

afterAll(async () => {
  await operator?.stop();
  await kubectl(harness, [
    'delete',
    'mutatingwebhookconfiguration,validatingwebhookconfiguration',
    configName,
    '--ignore-not-found',
  ]);
});

const podManifest = (name: string, ns: string, connections: string | undefined, extra = '') => `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
  namespace: ${ns}
${connections !== undefined ? `  annotations: { crewgate.dev/connections: "${connections}"${extra} }\n` : ''}spec:
  serviceAccountName: research-crew
  containers:
    - name: agent
      image: python:3.12
      env: [{ name: PGHOST, value: db.internal }]
`;

describe('pod injection by the real API server calling the operator', () => {
  it('injects a pod in a labelled namespace: native sidecar, no token for the agent, env pointing at the sidecar', async () => {
    const created = await apply(podManifest('crew-0', agents, 'shop-db'));
    expect(created.stderr).toBe('');
    const pod = JSON.parse(
      (await kubectl(harness, ['get', 'pod', 'crew-0', '-n', agents, '-o', 'json'])).stdout,
    );
    const sidecar = pod.spec.initContainers[0];
    expect(sidecar).toMatchObject({ name: 'crewgate-sidecar', restartPolicy: 'Always' });
    expect(pod.spec.automountServiceAccountToken).toBe(false);
    const agent = pod.spec.containers.find((c: { name: string }) => c.name === 'agent');
    const mounts = (agent.volumeMounts ?? []).map((m: { mountPath: string }) => m.mountPath);
    expect(mounts).not.toContain('/var/run/secrets/kubernetes.io/serviceaccount');
    expect(pod.spec.volumes.some((v: { name: string }) => v.name.startsWith('kube-api-access-'))).toBe(false);
    const env = Object.fromEntries(agent.env.map((e: { name: string; value: string }) => [e.name, e.value]));
    // PGPASSWORD is the well-known workload-identity marker, not a credential.
    expect(env).toMatchObject({
      PGHOST: '127.0.0.1',
      PGPORT: '15432',
      PGPASSWORD: 'crewgate:workload-identity',
    });
    expect(JSON.stringify(pod)).not.toContain('never-in-a-pod');
    // Only the sidecar holds a token, with the crewgate audience.
    const tokenVolume = pod.spec.volumes.find((v: { name: string }) => v.name === 'crewgate-token');
    expect(tokenVolume.projected.sources[0].serviceAccountToken).toMatchObject({ audience: 'crewgate' });
    const inPodConfig = parse(pod.metadata.annotations['crewgate.dev/sidecar-config']);
    expect(inPodConfig.connections).toEqual([
      { name: 'shop-db', type: 'postgres', listen: { host: '127.0.0.1', port: 15432 } },
    ]);
  });

  it('refuses a pod asking for a connection no policy grants to its service account', async () => {
    const refused = await apply(podManifest('greedy', agents, 'shop-db,billing-db'));
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/denied the request: crewgate: .*billing-db/);
  });

  it('refuses a pod that claims to be injected already', async () => {
    const refused = await apply(podManifest('sneaky', agents, 'shop-db', ', crewgate.dev/status: injected'));
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(
      /claims to be injected \(annotation crewgate.dev\/status=injected\) but is not what crewgate.s injector produces: it must have exactly one crewgate-sidecar/,
    );
  });

  it.each([
    ['shareProcessNamespace: true', 'shareProcessNamespace: true'],
    ['hostPID: true', 'hostPID: true'],
    ['a privileged container', 'privileged'],
  ])('refuses a pod with %s: the agent could read the sidecar’s memory', async (setting, named) => {
    const base = podManifest(`shared-${named.split(':')[0]!.toLowerCase()}`, agents, 'shop-db');
    const manifest =
      named === 'privileged'
        ? base.replace(
            'image: python:3.12',
            'image: python:3.12\n      securityContext: { privileged: true }',
          )
        : base.replace('  serviceAccountName:', `  ${setting}\n  serviceAccountName:`);
    expect(manifest).toContain(named === 'privileged' ? 'privileged: true' : setting);
    const refused = await apply(manifest);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(new RegExp(`denied the request: crewgate: .*${named}.*sidecar’s memory`));
  });

  it('leaves a pod outside the selection untouched', async () => {
    await kubectl(harness, ['create', 'serviceaccount', 'research-crew', '-n', plain]);
    expect((await apply(podManifest('untouched', plain, undefined))).stderr).toBe('');
    const pod = JSON.parse(
      (await kubectl(harness, ['get', 'pod', 'untouched', '-n', plain, '-o', 'json'])).stdout,
    );
    expect(pod.spec.initContainers).toBeUndefined();
    expect(pod.spec.containers[0].env).toEqual([{ name: 'PGHOST', value: 'db.internal' }]);
  });
});

describe('policy validation at kubectl apply', () => {
  it('refuses a policy the engine cannot compile, with the compile error', async () => {
    const refused = await apply(`apiVersion: crewgate.dev/v1alpha1
kind: AccessPolicy
metadata: { name: too-long-window, namespace: ${agents} }
spec:
  subjects: [{ group: dba }]
  connections: [shop-db]
  rules:
    - { name: writes, match: { operations: [update] }, action: RequireApproval, approval: { approverGroups: [dba], scope: Window, duration: 12h } }
`);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/12h exceeds maxDuration 8h/);
  });

  it('accepts a good policy, which the leader then marks Valid', async () => {
    const deadline = Date.now() + 15_000;
    let valid = '';
    while (Date.now() < deadline && valid !== 'True') {
      valid = (
        await kubectl(harness, [
          'get',
          'accesspolicy',
          'crew',
          '-n',
          agents,
          '-o',
          'jsonpath={.status.conditions[?(@.type=="Valid")].status}',
        ])
      ).stdout;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(valid).toBe('True');
    expect(operator.isLeader()).toBe(true);
  });
});

describe('reviewing an ApprovalRequest with kubectl patch', () => {
  const request = (name: string, minApprovals = 1) => `apiVersion: crewgate.dev/v1alpha1
kind: ApprovalRequest
metadata: { name: ${name}, namespace: ${agents} }
spec:
  requester: { subject: agent-analyst, groups: [crewai-viewer], serviceAccount: ${agents}/research-crew, pod: ${agents}/crew-0 }
  connection: shop-db
  protocol: postgres
  command: { text: "UPDATE orders SET status = 'refunded' WHERE id = 42", operations: [update], resources: [orders] }
  policy: ${agents}/crew
  rule: writes
  approverGroups: [dba]
  minApprovals: ${minApprovals}
  expiresAt: "${new Date(Date.now() + 600_000).toISOString()}"
`;
  let asOperator: string;
  let rita: string;
  let sam: string;
  let requester: string;
  let outsider: string;

  beforeAll(async () => {
    const cp = harness.controlPlane;
    // The operator creates requests; its identity, as the API server will see it.
    asOperator = await writeUserKubeconfig(cp, `system:serviceaccount:${operatorNs}:crewgate-operator`, [
      'system:masters',
    ]);
    rita = await writeUserKubeconfig(cp, 'rita', ['dba']);
    sam = await writeUserKubeconfig(cp, 'sam', ['dba']);
    requester = await writeUserKubeconfig(cp, 'agent-analyst', ['dba']);
    outsider = await writeUserKubeconfig(cp, 'olga', ['developers']);
    // What the chart's reviewer role grants: read and patch ApprovalRequests.
    await grantReviewers(harness, id, ['dba', 'developers']);
  });

  const review = (
    name: string,
    kubeconfig: string,
    decision: 'Approve' | 'Deny',
    claims: Record<string, unknown> = {},
  ) =>
    kubectl(
      harness,
      [
        'patch',
        'approvalrequest',
        name,
        '-n',
        agents,
        '--type=json',
        '-p',
        JSON.stringify([
          { op: 'add', path: '/spec/reviews/-', value: { decision, comment: 'ok', ...claims } },
        ]),
      ],
      { kubeconfig },
    );

  const phase = (name: string, want: string) => approvalPhaseReaching(harness, agents, name, want);

  it('only the operator may create one', async () => {
    const byAdmin = await apply(request('not-by-operator'));
    expect(byAdmin.code).not.toBe(0);
    expect((await apply(request('refund-42'), asOperator)).stderr).toBe('');
    expect(await phase('refund-42', 'Pending')).toBe('Pending');
  });

  it('stamps the reviewer from the API server even when the patch claims another, and approves', async () => {
    const patched = await review('refund-42', rita, 'Approve', {
      reviewer: 'someone-else',
      reviewerGroups: ['dba'],
    });
    expect(patched.stderr).toBe('');
    const reviews = JSON.parse(
      (
        await kubectl(harness, [
          'get',
          'approvalrequest',
          'refund-42',
          '-n',
          agents,
          '-o',
          'jsonpath={.spec.reviews}',
        ])
      ).stdout,
    );
    expect(reviews[0]).toMatchObject({
      decision: 'Approve',
      reviewer: 'rita',
      reviewerGroups: expect.arrayContaining(['dba']),
    });
    expect(await phase('refund-42', 'Approved')).toBe('Approved');
  });

  it('refuses self-approval and reviewers outside the approver groups', async () => {
    await apply(request('refund-43'), asOperator);
    const self = await review('refund-43', requester, 'Approve');
    expect(self.code).not.toBe(0);
    expect(self.stderr).toMatch(/agent-analyst/);
    const outside = await review('refund-43', outsider, 'Approve');
    expect(outside.code).not.toBe(0);
    expect(outside.stderr).toMatch(/dba/);
  });

  it('expires a request nobody decides, by requeue at expiresAt', async () => {
    const soon = request('refund-45').replace(
      /expiresAt: ".*"/,
      `expiresAt: "${new Date(Date.now() + 2_000).toISOString()}"`,
    );
    expect((await apply(soon, asOperator)).stderr).toBe('');
    expect(await phase('refund-45', 'Expired')).toBe('Expired');
    const events = await kubectl(harness, [
      'get',
      'events',
      '-n',
      agents,
      '--field-selector',
      'involvedObject.name=refund-45',
      '-o',
      'jsonpath={range .items[*]}{.reason} {end}',
    ]);
    expect(events.stdout).toMatch(/Created/);
    expect(events.stdout).toMatch(/Expired/);
  });

  it('needs two distinct reviewers for minApprovals 2: the same reviewer twice counts once', async () => {
    await apply(request('refund-44', 2), asOperator);
    expect((await review('refund-44', rita, 'Approve')).code).toBe(0);
    const again = await review('refund-44', rita, 'Approve');
    expect(again.code).not.toBe(0);
    expect(await phase('refund-44', 'Pending')).toBe('Pending');
    expect((await review('refund-44', sam, 'Approve')).code).toBe(0);
    expect(await phase('refund-44', 'Approved')).toBe('Approved');
    const approvedBy = (
      await kubectl(harness, [
        'get',
        'approvalrequest',
        'refund-44',
        '-n',
        agents,
        '-o',
        'jsonpath={.status.approvedBy}',
      ])
    ).stdout;
    expect(JSON.parse(approvedBy)).toEqual(['rita', 'sam']);
  });
});

describe('operations', () => {
  it('serves /metrics with reconcile and webhook figures, and /healthz', async () => {
    const metrics = await (await fetch(`http://127.0.0.1:${operator.metricsPort}/metrics`)).text();
    expect(metrics).toMatch(
      /crewgate_reconciles_total\{controller="accesspolicies",outcome="success"\} [1-9]/,
    );
    expect(metrics).toMatch(/crewgate_webhook_duration_seconds_count\{path="\/mutate-pods"\} [1-9]/);
    expect(await (await fetch(`http://127.0.0.1:${operator.metricsPort}/healthz`)).text()).toBe('ok');
  });
});
