/**
 * The validating half of the review webhook: an ApprovalRequest is a record of what was asked and
 * who answered, so once created its spec is frozen except for appending reviews, and each review
 * must come from someone entitled to give it (DESIGN.md §6): not the requester, a member of one of
 * the approver groups, once per reviewer, while the request is still pending.
 */
import { review as reviewSchema, approvalRequestSpec } from '../../crds/schemas/approval-request.js';
import { formatCompileErrors, fromZodError } from '../../sidecar/policy/compile-error.js';
import {
  isPlainObject,
  jsonEqual,
  objectId,
  requesterUsernames,
  reviewsOf,
  type ApprovalRequestObject,
  type ReviewerInfo,
} from './approval-request-object.js';
import type { ValidationResult } from './validate-policy.js';

/** Who may create ApprovalRequests: the operator's own service account username. */
export interface ApprovalCreateConfig {
  /** e.g. `system:serviceaccount:crewgate-system:crewgate-operator`. */
  operatorUsername: string;
}

/**
 * UPDATE of an ApprovalRequest, after `stampReviews` ran. Allows changes outside `spec` (labels,
 * finalizers) and appending reviews; refuses everything else with a message for the reviewer.
 */
export function validateReviewUpdate(
  oldObject: ApprovalRequestObject,
  newObject: ApprovalRequestObject,
  userInfo: ReviewerInfo,
): ValidationResult {
  const id = objectId(oldObject);
  const refuse = (message: string): ValidationResult => ({
    allowed: false,
    message: `ApprovalRequest ${id}: ${message}`,
  });
  const oldSpec = oldObject.spec ?? {};
  const newSpec = newObject.spec ?? {};

  const changed = [...new Set([...Object.keys(oldSpec), ...Object.keys(newSpec)])]
    .filter((k) => k !== 'reviews' && !jsonEqual(oldSpec[k], newSpec[k]))
    .sort();
  if (changed.length > 0) {
    return refuse(
      `spec is frozen: only reviews may be appended (changed: ${changed.map((k) => `spec.${k}`).join(', ')})`,
    );
  }

  const oldReviews = reviewsOf(oldObject);
  const newReviews = reviewsOf(newObject);
  if (newSpec.reviews !== undefined && !Array.isArray(newSpec.reviews))
    return refuse('spec.reviews must be a list');
  if (newReviews.length < oldReviews.length) {
    return refuse(`reviews cannot be removed (${oldReviews.length} before, ${newReviews.length} now)`);
  }
  for (let i = 0; i < oldReviews.length; i++) {
    if (!jsonEqual(oldReviews[i], newReviews[i]))
      return refuse(`reviews[${i}] cannot be changed: reviews are append-only`);
  }
  const appended = newReviews.slice(oldReviews.length);
  if (appended.length === 0) return { allowed: true };

  const phase = oldObject.status?.phase;
  if (phase !== undefined && phase !== 'Pending')
    return refuse(`the request is ${phase}; reviews are closed`);

  const requester = isPlainObject(newSpec.requester) ? newSpec.requester : undefined;
  const selves = requesterUsernames(requester);
  const approverGroups = Array.isArray(newSpec.approverGroups)
    ? newSpec.approverGroups.filter((g) => typeof g === 'string')
    : [];
  const groups = userInfo.groups ?? [];
  const expiresAt = typeof newSpec.expiresAt === 'string' ? Date.parse(newSpec.expiresAt) : NaN;

  for (const [offset, raw] of appended.entries()) {
    const index = oldReviews.length + offset;
    const parsed = reviewSchema.safeParse(raw);
    if (!parsed.success)
      return refuse(`reviews[${index}]: ${formatCompileErrors(fromZodError(parsed.error))}`);
    const r = parsed.data;
    if (r.reviewer !== userInfo.username || r.reviewedAt === undefined) {
      return refuse(
        `reviews[${index}] was not stamped with the reviewer's identity (is the mutating review webhook installed?)`,
      );
    }
    if (selves.includes(userInfo.username)) {
      return refuse(
        `${userInfo.username} requested this command and cannot review it (segregation of duties)`,
      );
    }
    if (!approverGroups.some((g) => groups.includes(g))) {
      return refuse(`${userInfo.username} is in none of the approver groups [${approverGroups.join(', ')}]`);
    }
    const earlier = newReviews
      .slice(0, index)
      .findIndex((o) => isPlainObject(o) && o.reviewer === userInfo.username);
    if (earlier >= 0) {
      return refuse(
        `${userInfo.username} already reviewed this request (reviews[${earlier}]); each reviewer counts once`,
      );
    }
    const reviewedAt = Date.parse(r.reviewedAt);
    if (!Number.isNaN(expiresAt) && reviewedAt > expiresAt) {
      return refuse(`the request expired at ${new Date(expiresAt).toISOString()}; reviews are closed`);
    }
  }
  return { allowed: true };
}

/**
 * CREATE of an ApprovalRequest: only the operator creates them (on a sidecar's behalf, after
 * checking the sidecar's identity), and a request starts with no reviews — otherwise anyone with
 * `create` could file a request that arrives already approved.
 */
export function validateApprovalCreate(
  newObject: ApprovalRequestObject,
  userInfo: ReviewerInfo,
  config: ApprovalCreateConfig,
): ValidationResult {
  const id = objectId(newObject);
  const refuse = (message: string): ValidationResult => ({
    allowed: false,
    message: `ApprovalRequest ${id}: ${message}`,
  });
  if (userInfo.username !== config.operatorUsername) {
    return refuse(
      `only the crewgate operator (${config.operatorUsername}) creates ApprovalRequests, not ${userInfo.username}`,
    );
  }
  if (
    reviewsOf(newObject).length > 0 ||
    (newObject.spec?.reviews !== undefined && !Array.isArray(newObject.spec.reviews))
  ) {
    return refuse('a new request must have no reviews');
  }
  const parsed = approvalRequestSpec.safeParse(newObject.spec);
  if (!parsed.success) return refuse(`invalid spec: ${formatCompileErrors(fromZodError(parsed.error))}`);
  return { allowed: true };
}
