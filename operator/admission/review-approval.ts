/**
 * The ApprovalRequest review webhooks, pure (DESIGN.md §6, §10 "Pure decision, thin shell"): on
 * CREATE and UPDATE the mutating webhook returns `stampReviews(...)` as its patch, the validating
 * webhook returns `validateApprovalCreate` / `validateReviewUpdate`; the reconciler moves the
 * phase with `decidePhase`. The shell passes the AdmissionRequest's objects, `userInfo` and clock.
 */
export { stampReviews } from './stamp-reviews.js';
export {
  validateReviewUpdate,
  validateApprovalCreate,
  type ApprovalCreateConfig,
} from './validate-review.js';
export { decidePhase, type PhaseDecision } from './decide-phase.js';
export {
  requesterUsernames,
  type ApprovalRequestObject,
  type ReviewerInfo,
} from './approval-request-object.js';
