/**
 * The phase machine's decision for a pending ApprovalRequest (DESIGN.md §6), pure so that the
 * reconciler, the sidecar's control plane and the tests agree on it. Reviews are read in order
 * (they are append-only, hence chronological) and the first decisive one wins: a Deny denies; the
 * review that brings the DISTINCT approvers to `minApprovals` approves. Neither by `expiresAt`:
 * expired.
 *
 * Only reviews the webhook would have accepted count — stamped, not by the requester, by a member
 * of an approver group, not after expiry — so a request that got past the webhook (installed late,
 * or bypassed) still cannot be approved by the wrong people.
 */
import type { ApprovalRequestSpec, Review } from '../../crds/schemas/approval-request.js';
import { requesterUsernames } from './approval-request-object.js';

/** What the reconciler writes into status. */
export interface PhaseDecision {
  phase: 'Pending' | 'Approved' | 'Denied' | 'Expired';
  /** Distinct approvers counted so far, in review order. */
  approvedBy: string[];
  deniedBy?: string;
  /** RFC 3339: the deciding review's `reviewedAt`, or `expiresAt` for Expired. */
  decidedAt?: string;
}

/** Decides the phase of a request from its (parsed) spec at `now`. */
export function decidePhase(spec: ApprovalRequestSpec, now: Date): PhaseDecision {
  const expiresAt = Date.parse(spec.expiresAt);
  const selves = requesterUsernames(spec.requester);
  const approvedBy: string[] = [];
  for (const review of spec.reviews) {
    if (!counts(review, spec, selves, expiresAt)) continue;
    const reviewer = review.reviewer as string;
    const decidedAt = new Date(Date.parse(review.reviewedAt as string)).toISOString();
    if (review.decision === 'Deny') return { phase: 'Denied', approvedBy, deniedBy: reviewer, decidedAt };
    if (!approvedBy.includes(reviewer)) approvedBy.push(reviewer);
    if (approvedBy.length >= spec.minApprovals) return { phase: 'Approved', approvedBy, decidedAt };
  }
  // An unreadable expiresAt fails closed: the request expires now rather than waiting forever.
  if (Number.isNaN(expiresAt)) return { phase: 'Expired', approvedBy, decidedAt: now.toISOString() };
  if (now.getTime() >= expiresAt)
    return { phase: 'Expired', approvedBy, decidedAt: new Date(expiresAt).toISOString() };
  return { phase: 'Pending', approvedBy };
}

function counts(review: Review, spec: ApprovalRequestSpec, selves: string[], expiresAt: number): boolean {
  if (review.reviewer === undefined || review.reviewer === '' || review.reviewedAt === undefined)
    return false;
  const reviewedAt = Date.parse(review.reviewedAt);
  if (Number.isNaN(reviewedAt)) return false;
  if (!Number.isNaN(expiresAt) && reviewedAt > expiresAt) return false;
  if (selves.includes(review.reviewer)) return false;
  return (review.reviewerGroups ?? []).some((g) => spec.approverGroups.includes(g));
}
