/**
 * Moves ApprovalRequests through their phases (DESIGN.md §6): Pending until reviews decide it
 * (Approved, Denied) or its time runs out (Expired, by a requeue at `expiresAt`); the sidecar marks
 * Cancelled and Executed through the control plane. Finished requests are deleted after the
 * retention period. Every transition is an Event on the object.
 */
import { approvalRequestSpec, type ApprovalRequestStatus } from '../../crds/schemas/approval-request.js';
import { API_VERSION } from '../../crds/schemas/common.js';
import { parseDuration } from '../../sidecar/policy/index.js';
import { decidePhase } from '../admission/decide-phase.js';
import type { ObjectKey, ReconcileResult } from '../controller/controller.js';
import { GROUP, VERSION } from '../../crds/schemas/common.js';
import { isNotFound } from '../kube/client.js';
import { setConditions } from './conditions.js';
import { readCustomObject, writeStatus, type ReconcilerDeps } from './connection-reconciler.js';

interface ApprovalRequestObject {
  metadata: {
    name: string;
    namespace: string;
    generation?: number;
    uid?: string;
    creationTimestamp?: string;
  };
  spec: unknown;
  status?: ApprovalRequestStatus;
}

const FINISHED = new Set(['Approved', 'Denied', 'Expired', 'Cancelled', 'Executed']);

export interface ApprovalReconcilerOptions {
  /** How long finished requests are kept for `kubectl get` and audit before deletion. */
  retentionMs: number;
}

export function approvalRequestReconciler(deps: ReconcilerDeps, options: ApprovalReconcilerOptions) {
  const now = deps.now ?? (() => new Date());
  return async (key: ObjectKey): Promise<ReconcileResult> => {
    const request = await readCustomObject<ApprovalRequestObject>(deps.clients, 'approvalrequests', key);
    if (!request) return {};
    const at = now();
    const involved = {
      apiVersion: API_VERSION,
      kind: 'ApprovalRequest',
      namespace: key.namespace,
      name: key.name,
      uid: request.metadata.uid,
    };
    const phase = request.status?.phase;

    if (phase && FINISHED.has(phase)) {
      // Windows stay until they end; everything else from when it was decided.
      const finishedAt = Date.parse(
        request.status?.windowEndsAt ??
          request.status?.executedAt ??
          request.status?.decidedAt ??
          request.metadata.creationTimestamp ??
          '',
      );
      const deleteAt = (Number.isNaN(finishedAt) ? at.getTime() : finishedAt) + options.retentionMs;
      if (at.getTime() < deleteAt) return { requeueAfterMs: deleteAt - at.getTime() };
      try {
        await deps.clients.custom.deleteNamespacedCustomObject({
          group: GROUP,
          version: VERSION,
          plural: 'approvalrequests',
          namespace: key.namespace,
          name: key.name,
        });
      } catch (error) {
        if (!isNotFound(error)) throw error;
      }
      return {};
    }

    const parsed = approvalRequestSpec.safeParse(request.spec);
    if (!parsed.success) {
      // The API server's schema should make this impossible; a request we cannot read is never approved.
      await writeStatus(deps.clients, 'approvalrequests', key, {
        ...request.status,
        phase: 'Denied',
        decidedAt: at.toISOString(),
        deniedBy: 'crewgate-operator',
      });
      await deps.events.emit(
        involved,
        'Warning',
        'Invalid',
        `spec cannot be read: ${parsed.error.issues[0]?.message ?? 'invalid'}`,
      );
      return {};
    }
    const spec = parsed.data;
    const decision = decidePhase(spec, at);
    const generation = request.metadata.generation ?? 0;
    if (!phase)
      await deps.events.emit(
        involved,
        'Normal',
        'Created',
        `${spec.requester.subject} asks to run on ${spec.connection}: ${spec.command.text.slice(0, 200)}`,
      );

    const status: ApprovalRequestStatus = {
      observedGeneration: generation,
      phase: decision.phase,
      approvedBy: decision.approvedBy,
      ...(decision.deniedBy ? { deniedBy: decision.deniedBy } : {}),
      ...(decision.decidedAt ? { decidedAt: decision.decidedAt } : {}),
    };
    if (decision.phase === 'Approved' && spec.scope === 'Window') {
      const windowMs = parseDuration(spec.duration ?? '') ?? 0;
      status.windowEndsAt = new Date(
        Date.parse(decision.decidedAt ?? at.toISOString()) + windowMs,
      ).toISOString();
    }
    status.conditions = setConditions(
      request.status?.conditions,
      [
        decision.phase === 'Pending'
          ? {
              type: 'Decided',
              status: 'False',
              reason: 'AwaitingReview',
              message: `${decision.approvedBy.length} of ${spec.minApprovals} approvals`,
            }
          : { type: 'Decided', status: 'True', reason: decision.phase, message: decisionMessage(decision) },
      ],
      generation,
      at,
    );
    const unchanged =
      phase === status.phase &&
      JSON.stringify(request.status?.approvedBy ?? []) === JSON.stringify(status.approvedBy) &&
      request.status?.observedGeneration === generation;
    if (!unchanged) {
      await writeStatus(deps.clients, 'approvalrequests', key, status);
      for (const reviewer of decision.approvedBy.filter(
        (r) => !(request.status?.approvedBy ?? []).includes(r),
      )) {
        await deps.events.emit(involved, 'Normal', 'Reviewed', `approved by ${reviewer}`);
      }
      if (decision.phase !== 'Pending') {
        await deps.events.emit(
          involved,
          decision.phase === 'Approved' ? 'Normal' : 'Warning',
          decision.phase,
          decisionMessage(decision),
        );
      }
    }
    if (decision.phase === 'Pending')
      return { requeueAfterMs: Math.max(0, Date.parse(spec.expiresAt) - at.getTime()) + 50 };
    return { requeueAfterMs: options.retentionMs };
  };
}

function decisionMessage(d: ReturnType<typeof decidePhase>): string {
  switch (d.phase) {
    case 'Approved':
      return `approved by ${d.approvedBy.join(', ')}`;
    case 'Denied':
      return `denied by ${d.deniedBy}`;
    case 'Expired':
      return 'no decision before expiresAt';
    default:
      return 'awaiting review';
  }
}
