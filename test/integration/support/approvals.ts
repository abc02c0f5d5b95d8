/**
 * Everything a just-in-time approval test does around a sidecar of any protocol, in one place so
 * every approval test (PostgreSQL, Kubernetes, kubectl exec, SSH, HTTP, the plugin, the in-pod
 * sidecar) and bench/approvals.ts exercise the same documented path:
 * - a crew namespace the local operator watches: the test's policies and Connection, a pod `crew-0`
 *   (service account research-crew) and the ControlPlaneApprover the sidecar would build from that
 *   pod's bound token;
 * - reviewer RBAC (what the chart's crewgate-reviewer role grants) for certificate groups;
 * - the reviewer's side as a human does it: find the Pending ApprovalRequest with kubectl, add a
 *   review with `kubectl patch --type=json` under the reviewer's client-certificate kubeconfig.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ControlPlaneApprover } from '../../../sidecar/control-plane/control-plane-approver.js';
import type { HarnessInfo } from '../../harness/index.js';
import { kubectl, type RunResult } from '../../harness/run.js';
import { serviceAccountToken } from '../../harness/service-account-token.js';
import { bindChartRole } from './chart-roles.js';
import type { LocalOperator } from './local-operator.js';

export type ReviewDecision = 'Approve' | 'Deny';

/** Applies manifests as the admin; a refusal or any warning fails the setup with kubectl's words. */
async function applyOrThrow(harness: HarnessInfo, what: string, manifest: string): Promise<void> {
  const r = await kubectl(harness, ['apply', '-f', '-'], { input: manifest });
  if (r.code !== 0 || r.stderr !== '') throw new Error(`${what}: ${r.stderr}`);
}

/** The ClusterRole (and its binding) name {@link grantReviewers} creates for `id`. */
export const reviewerRoleName = (id: string) => `crewgate-reviewer-${id}`;

/** The chart's crewgate-reviewer ClusterRole, as it renders, bound to `groups` (see chart-roles.ts). */
export async function grantReviewers(harness: HarnessInfo, id: string, groups: string[]): Promise<void> {
  await bindChartRole(harness, 'crewgate-reviewer', id, groups);
}

/** Removes what {@link grantReviewers} created; cluster-scoped, so it outlives the test's namespaces. */
export async function revokeReviewers(harness: HarnessInfo, id: string): Promise<void> {
  await kubectl(harness, [
    'delete',
    'clusterrole,clusterrolebinding',
    reviewerRoleName(id),
    '--ignore-not-found',
  ]);
}

/** The name of the first Pending ApprovalRequest in `namespace`, waiting up to `timeoutMs`. */
export async function pendingApprovalRequest(
  harness: HarnessInfo,
  namespace: string,
  timeoutMs = 10_000,
): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
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
    if (Date.now() >= deadline) throw new Error(`no pending ApprovalRequest appeared in ${namespace}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The documented review: `kubectl patch --type=json` adding `{decision, comment}`, as the reviewer. */
export function reviewApprovalRequest(
  harness: HarnessInfo,
  reviewerKubeconfig: string,
  namespace: string,
  name: string,
  decision: ReviewDecision,
  comment?: string,
): Promise<RunResult> {
  return kubectl(
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
    { kubeconfig: reviewerKubeconfig },
  );
}

/** The request's status.phase as kubectl shows it ('' before the operator has set one). */
export async function approvalPhase(harness: HarnessInfo, namespace: string, name: string): Promise<string> {
  return (
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
}

/** Polls the request's phase until it is `phase` or `timeoutMs` passes; returns the last phase seen. */
export async function approvalPhaseReaching(
  harness: HarnessInfo,
  namespace: string,
  name: string,
  phase: string,
  timeoutMs = 10_000,
): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const seen = await approvalPhase(harness, namespace, name);
    if (seen === phase || Date.now() >= deadline) return seen;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A crew namespace with the approver its sidecar would use, and the reviewer's side bound to it. */
export interface CrewNamespace {
  namespace: string;
  /** The sidecar's ControlPlaneApprover, authenticated by crew-0's pod-bound token. */
  approver: ControlPlaneApprover;
  /** The first Pending ApprovalRequest's name, waiting up to `timeoutMs` (10 s) for one. */
  pendingRequest(timeoutMs?: number): Promise<string>;
  /** {@link reviewApprovalRequest} in this namespace as the reviewer whose kubeconfig is given. */
  review(kubeconfig: string, name: string, decision: ReviewDecision, comment?: string): Promise<RunResult>;
  phase(name: string): Promise<string>;
  phaseReaching(name: string, phase: string, timeoutMs?: number): Promise<string>;
}

export interface CrewNamespaceOptions {
  /** The namespace to create, labelled so `local`'s webhooks and reconcilers see it. */
  namespace: string;
  /** AccessPolicy / MaskingRule manifests already written for `namespace`. */
  policies: string;
  /** The Connection manifest for `namespace`, named `connectionName`. */
  connection: string;
  connectionName: string;
}

/**
 * Creates the crew: namespace, service account research-crew, the policies and Connection, an
 * AccessPolicy letting the crew's pod use the Connection, pod crew-0, and the approver that presents
 * crew-0's pod-bound token (audience crewgate) to the local operator's sidecar API.
 */
export async function setUpCrewNamespace(
  harness: HarnessInfo,
  local: LocalOperator,
  options: CrewNamespaceOptions,
): Promise<CrewNamespace> {
  const { namespace, connectionName } = options;
  await applyOrThrow(
    harness,
    'namespace',
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: {
        name: namespace,
        labels: { 'crewgate-test': local.id, 'crewgate.dev/inject': 'enabled' },
      },
    }),
  );
  const account = await kubectl(harness, ['create', 'serviceaccount', 'research-crew', '-n', namespace]);
  if (account.code !== 0) throw new Error(`service account: ${account.stderr}`);
  await applyOrThrow(
    harness,
    'policies, connection and pod',
    `${options.policies}
---
${options.connection}
---
apiVersion: crewgate.dev/v1alpha1
kind: AccessPolicy
metadata: { name: crew-pod, namespace: ${namespace} }
spec:
  subjects: [{ serviceAccount: { name: research-crew } }]
  connections: [${connectionName}]
  defaultAction: Deny
---
apiVersion: v1
kind: Pod
metadata: { name: crew-0, namespace: ${namespace}, annotations: { crewgate.dev/connections: ${connectionName} } }
spec:
  serviceAccountName: research-crew
  containers: [{ name: agent, image: python:3.12 }]
`,
  );
  const token = await serviceAccountToken(harness, {
    namespace,
    serviceAccount: 'research-crew',
    audience: 'crewgate',
    pod: 'crew-0',
  });
  if (token.code !== 0) throw new Error(`pod token: ${token.stderr}`);
  const tokenFile = join(mkdtempSync(join(tmpdir(), 'crewgate-sidecar-token-')), 'token');
  writeFileSync(tokenFile, token.stdout.trim());
  const approver = new ControlPlaneApprover({
    url: local.sidecarApiUrl,
    tokenFile,
    caCertificates: [local.operator.caCertificatePem],
  });
  return {
    namespace,
    approver,
    pendingRequest: (timeoutMs) => pendingApprovalRequest(harness, namespace, timeoutMs),
    review: (kubeconfig, name, decision, comment) =>
      reviewApprovalRequest(harness, kubeconfig, namespace, name, decision, comment),
    phase: (name) => approvalPhase(harness, namespace, name),
    phaseReaching: (name, phase, timeoutMs) =>
      approvalPhaseReaching(harness, namespace, name, phase, timeoutMs),
  };
}
