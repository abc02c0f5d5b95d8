/**
 * ApprovalRequests on behalf of sidecars (DESIGN.md §6): a sidecar holding a command asks the
 * control plane to open a request; the operator fills in who is asking from what it verified (the
 * pod, from the token; the agent's identity, as the sidecar verified it) and the policy's approval
 * settings, so a sidecar cannot choose its own approvers. Sidecars then watch the request's phase
 * and may withdraw it (the client hung up).
 */
import { randomBytes } from 'node:crypto';
import { GROUP, VERSION } from '../../crds/schemas/common.js';
import type { ApprovalRequestSpec } from '../../crds/schemas/approval-request.js';
import type { SidecarIdentity } from './sidecar-identity.js';

export interface ApprovalAsk {
  session: string;
  connection: string;
  protocol: ApprovalRequestSpec['protocol'];
  requester: { subject: string; groups: string[] };
  command: { text: string; operations: string[]; resources: string[] };
  policy: string;
  rule: string;
  approval: {
    approverGroups: string[];
    minApprovals: number;
    timeoutMs: number;
    scope: 'Once' | 'Window';
    durationMs?: number;
  };
}

export class ApprovalAskError extends Error {
  override name = 'ApprovalAskError';
}

const TEXT_LIMIT = 65_536;

function duration(ms: number): string {
  return `${Math.max(1, Math.round(ms / 1000))}s`;
}

/** A DNS-1123 name: the connection, then random characters. */
export function approvalRequestName(connection: string): string {
  const prefix = connection
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, '-')
    .slice(0, 40)
    .replace(/-+$/, '');
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

/** The ApprovalRequest object for a sidecar's ask; refuses asks the pod is not entitled to. */
export function approvalRequestFor(
  who: SidecarIdentity,
  ask: ApprovalAsk,
  now: Date,
): Record<string, unknown> {
  if (!who.connections.includes(ask.connection))
    throw new ApprovalAskError(`pod was not admitted with connection ${ask.connection}`);
  if (!ask.policy.startsWith(`${who.namespace}/`))
    throw new ApprovalAskError(`policy ${ask.policy} is not in the pod's namespace`);
  if (ask.approval.approverGroups.length === 0)
    throw new ApprovalAskError('an approval needs approver groups');
  const spec: ApprovalRequestSpec = {
    requester: {
      subject: ask.requester.subject,
      groups: ask.requester.groups,
      serviceAccount: `${who.namespace}/${who.serviceAccount}`,
      pod: `${who.namespace}/${who.pod.metadata?.name}`,
    },
    connection: ask.connection,
    protocol: ask.protocol,
    command: {
      text: ask.command.text.slice(0, TEXT_LIMIT) || '(empty)',
      operations: ask.command.operations,
      resources: ask.command.resources,
    },
    policy: ask.policy,
    rule: ask.rule,
    approverGroups: ask.approval.approverGroups,
    minApprovals: ask.approval.minApprovals,
    scope: ask.approval.scope,
    ...(ask.approval.scope === 'Window' && ask.approval.durationMs
      ? { duration: duration(ask.approval.durationMs) }
      : {}),
    expiresAt: new Date(now.getTime() + ask.approval.timeoutMs).toISOString(),
    session: ask.session,
    reviews: [],
  };
  return {
    apiVersion: `${GROUP}/${VERSION}`,
    kind: 'ApprovalRequest',
    metadata: {
      name: approvalRequestName(ask.connection),
      namespace: who.namespace,
      labels: {
        'crewgate.dev/connection': ask.connection,
        'crewgate.dev/pod': String(who.pod.metadata?.name ?? ''),
      },
    },
    spec,
  };
}
