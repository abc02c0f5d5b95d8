/**
 * What a just-in-time approval test needs around a sidecar of any protocol: a namespace the local operator
 * watches, with the test's policies and Connection, a pod `crew-0` (service account research-crew)
 * whose pod-bound token the sidecar's ControlPlaneApprover presents, and a reviewer `rita` in group
 * dba allowed to patch ApprovalRequests with plain kubectl.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ControlPlaneApprover } from '../../../sidecar/control-plane/control-plane-approver.js';
import type { HarnessInfo } from '../../harness/index.js';
import { writeUserKubeconfig } from '../../harness/kubeconfig.js';
import { kubectl, type RunResult } from '../../harness/run.js';
import type { LocalOperator } from './local-operator.js';

export interface ApprovalsNamespace {
  ns: string;
  approver: ControlPlaneApprover;
  /** kubeconfig of `rita` (group dba). */
  reviewer: string;
  /** The first Pending ApprovalRequest's name, waiting up to 10 s for one to appear. */
  pendingRequest(): Promise<string>;
  /** A review added with `kubectl patch --type=json`, as the reviewer. */
  reviewWith(name: string, decision: 'Approve' | 'Deny', comment: string): Promise<RunResult>;
  phaseOf(name: string): Promise<string>;
}

export async function setUpApprovalsNamespace(
  harness: HarnessInfo,
  local: LocalOperator,
  options: {
    id: string;
    /** AccessPolicy / MaskingRule manifests already rewritten for `ns`. */
    policies: (ns: string) => string;
    /** The Connection manifest (name `connection`) for `ns`. */
    connection: (ns: string) => string;
    connectionName: string;
  },
): Promise<ApprovalsNamespace> {
  const { id } = options;
  const ns = `agents-appr-${id}`;
  const apply = (manifest: string) => kubectl(harness, ['apply', '-f', '-'], { input: manifest });
  await apply(
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: ns, labels: { 'crewgate-test': id, 'crewgate.dev/inject': 'enabled' } },
    }),
  );
  await kubectl(harness, ['create', 'serviceaccount', 'research-crew', '-n', ns]);
  const setup = await apply(`${options.policies(ns)}
---
${options.connection(ns)}
---
apiVersion: crewgate.dev/v1alpha1
kind: AccessPolicy
metadata: { name: crew-pod, namespace: ${ns} }
spec:
  subjects: [{ serviceAccount: { name: research-crew } }]
  connections: [${options.connectionName}]
  defaultAction: Deny
---
apiVersion: v1
kind: Pod
metadata: { name: crew-0, namespace: ${ns}, annotations: { crewgate.dev/connections: ${options.connectionName} } }
spec:
  serviceAccountName: research-crew
  containers: [{ name: agent, image: python:3.12 }]
`);
  if (setup.stderr !== '') throw new Error(setup.stderr);
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
  const reviewer = await writeUserKubeconfig(harness.controlPlane, 'rita', ['dba']);
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

  return {
    ns,
    approver,
    reviewer,
    async pendingRequest() {
      const deadline = Date.now() + 10_000;
      while (Date.now() < deadline) {
        const names = (
          await kubectl(harness, [
            'get',
            'approvalrequests',
            '-n',
            ns,
            '-o',
            'jsonpath={range .items[?(@.status.phase=="Pending")]}{.metadata.name} {end}',
          ])
        ).stdout.trim();
        if (names) return names.split(' ')[0]!;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error('no pending ApprovalRequest appeared');
    },
    reviewWith: (name, decision, comment) =>
      kubectl(
        harness,
        [
          'patch',
          'approvalrequest',
          name,
          '-n',
          ns,
          '--type=json',
          '-p',
          JSON.stringify([{ op: 'add', path: '/spec/reviews/-', value: { decision, comment } }]),
        ],
        { kubeconfig: reviewer },
      ),
    async phaseOf(name) {
      return (
        await kubectl(harness, ['get', 'approvalrequest', name, '-n', ns, '-o', 'jsonpath={.status.phase}'])
      ).stdout;
    },
  };
}
