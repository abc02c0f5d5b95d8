/**
 * A crew whose held commands go to a real control plane: a namespace (labelled for the local
 * operator's webhooks), the shop policies, a Connection, the crew's pod and service account, and a
 * PostgreSQL proxy whose approver is the sidecar's ControlPlaneApprover authenticated by a
 * pod-bound token. Used by the approval tests, the plugin tests and bench/approvals.ts.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ControlPlaneApprover } from '../../../sidecar/control-plane/control-plane-approver.js';
import type { SessionRecorder } from '../../../sidecar/enforcement/recorder.js';
import type { HarnessInfo } from '../../harness/index.js';
import { oidcToken } from '../../harness/oidc-token.js';
import { repositoryRoot } from '../../harness/paths.js';
import { kubectl, type RunResult } from '../../harness/run.js';
import type { LocalOperator } from './local-operator.js';
import { loadManifestsFromText, startProxy, type ProxyUnderTest } from './postgres-proxy.js';

export interface ApprovalCrew {
  namespace: string;
  proxy: ProxyUnderTest;
  /** An OIDC token of agent-analyst (group crewai-viewer), the proxy's password. */
  analystToken: string;
  /** The name of the first Pending ApprovalRequest in the namespace, once one appears. */
  pendingRequest(timeoutMs?: number): Promise<string>;
  phase(name: string): Promise<string>;
  /** The documented review: kubectl patch --type=json adding `{decision, comment}`. */
  review(
    kubeconfig: string,
    name: string,
    decision: 'Approve' | 'Deny',
    comment?: string,
  ): Promise<RunResult>;
  stop(): Promise<void>;
}

const apply = (harness: HarnessInfo, manifest: string) =>
  kubectl(harness, ['apply', '-f', '-'], { input: manifest });

/**
 * `rewrite` changes the policies' text (e.g. `minApprovals: 2`, a short `timeout`) before they go
 * to the API and to the proxy's bundle; `recorder` also records the proxy's sessions (e.g. to a
 * recording store).
 */
export async function startApprovalCrew(
  harness: HarnessInfo,
  local: LocalOperator,
  namespace: string,
  rewrite: (policies: string) => string = (p) => p,
  recorder?: SessionRecorder,
): Promise<ApprovalCrew> {
  const must = async (what: string, result: Promise<RunResult>) => {
    const r = await result;
    if (r.code !== 0) throw new Error(`${what}: ${r.stderr}`);
    return r;
  };
  await must(
    'namespace',
    apply(
      harness,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: {
          name: namespace,
          labels: { 'crewgate-test': local.id, 'crewgate.dev/inject': 'enabled' },
        },
      }),
    ),
  );
  await must(
    'service account',
    kubectl(harness, ['create', 'serviceaccount', 'research-crew', '-n', namespace]),
  );
  const policies = rewrite(
    readFileSync(join(repositoryRoot, 'test/integration/fixtures/shop-policies.yaml'), 'utf8').replaceAll(
      'namespace: agents',
      `namespace: ${namespace}`,
    ),
  );
  await must(
    'policies, connection and pod',
    apply(
      harness,
      `${policies}
---
apiVersion: crewgate.dev/v1alpha1
kind: Connection
metadata: { name: shop-db, namespace: ${namespace} }
spec: { type: postgres, address: ${harness.postgres.host}:${harness.postgres.port}, database: shop, credentialsRef: { name: shop-db-credentials } }
---
apiVersion: crewgate.dev/v1alpha1
kind: AccessPolicy
metadata: { name: crew-pod, namespace: ${namespace} }
spec:
  subjects: [{ serviceAccount: { name: research-crew } }]
  connections: [shop-db]
  defaultAction: Deny
---
apiVersion: v1
kind: Pod
metadata: { name: crew-0, namespace: ${namespace}, annotations: { crewgate.dev/connections: shop-db } }
spec:
  serviceAccountName: research-crew
  containers: [{ name: agent, image: python:3.12 }]
`,
    ),
  );
  const token = (
    await must(
      'pod token',
      kubectl(harness, [
        'create',
        'token',
        'research-crew',
        '-n',
        namespace,
        '--audience=crewgate',
        '--bound-object-kind=Pod',
        '--bound-object-name=crew-0',
      ]),
    )
  ).stdout.trim();
  const tokenFile = join(mkdtempSync(join(tmpdir(), 'crewgate-sidecar-token-')), 'token');
  writeFileSync(tokenFile, token);
  const approver = new ControlPlaneApprover({
    url: local.sidecarApiUrl,
    tokenFile,
    caCertificates: [local.operator.caCertificatePem],
  });
  const proxy = await startProxy(harness, {
    approver,
    manifests: loadManifestsFromText(policies),
    ...(recorder ? { recorder } : {}),
  });
  const analystToken = await oidcToken(harness.oidc, 'agent-analyst');

  const phase = async (name: string) =>
    (
      await kubectl(harness, [
        'get',
        'approvalrequest',
        name,
        '-n',
        namespace,
        '-o',
        'jsonpath={.status.phase}',
      ])
    ).stdout;
  return {
    namespace,
    proxy,
    analystToken,
    phase,
    async pendingRequest(timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        const names = (
          await kubectl(harness, [
            'get',
            'approvalrequests',
            '-n',
            namespace,
            '-o',
            'jsonpath={range .items[?(@.status.phase=="Pending")]}{.metadata.name} {end}',
          ])
        ).stdout.trim();
        if (names) return names.split(' ')[0]!;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`no pending ApprovalRequest appeared in ${namespace}`);
    },
    review: (kubeconfig, name, decision, comment) =>
      kubectl(
        harness,
        [
          'patch',
          'approvalrequest',
          name,
          '-n',
          namespace,
          '--type=json',
          '-p',
          JSON.stringify([
            {
              op: 'add',
              path: '/spec/reviews/-',
              value: comment === undefined ? { decision } : { decision, comment },
            },
          ]),
        ],
        { kubeconfig },
      ),
    async stop() {
      await proxy.listener.close();
    },
  };
}

/** RBAC a reviewer needs for approvalrequests (what the chart's crewgate-reviewer grants), for groups. */
export async function grantReviewers(harness: HarnessInfo, id: string, groups: string[]): Promise<void> {
  const r = await apply(
    harness,
    `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: { name: crewgate-reviewer-${id} }
rules: [{ apiGroups: [crewgate.dev], resources: [approvalrequests], verbs: [get, list, watch, patch] }]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: { name: crewgate-reviewer-${id} }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: crewgate-reviewer-${id} }
subjects: [${groups.map((g) => `{ apiGroup: rbac.authorization.k8s.io, kind: Group, name: ${g} }`).join(', ')}]
`,
  );
  if (r.code !== 0) throw new Error(`reviewer RBAC: ${r.stderr}`);
}
