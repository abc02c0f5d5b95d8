/**
 * The operator's admission decisions other than pod injection, pure: policy validation and the
 * ApprovalRequest review webhooks. See `operator/injection` for the pod injector.
 */
export {
  validateCrewgateObject,
  type CrewgateObject,
  type ValidatedKind,
  type ValidationResult,
} from './validate-policy.js';
export * from './review-approval.js';
