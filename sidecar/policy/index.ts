/**
 * The policy engine: compile AccessPolicies once, evaluate commands in microseconds. Pure: no
 * network, no clock (time is a parameter), no Kubernetes client — the operator's admission webhook
 * and the sidecar share it.
 */
export { compilePolicy } from './compile-policy.js';
export { evaluate, evaluateAll } from './evaluate.js';
export { indexPolicies, isPolicyIndex, type PolicyIndex, type PolicySet } from './policy-index.js';
export { parseDuration } from './duration.js';
export { compileGlob, type Glob } from './glob.js';
export { compileSubjects, subjectMatches, serviceAccountKey, type SubjectMatcher } from './subjects.js';
export { formatCompileErrors, formatPath, type CompileError } from './compile-error.js';
export { strictness, isStricter } from './strictness.js';
export type {
  CompiledPolicy,
  CompiledRule,
  CompilePolicyResult,
  Decision,
  DecisionApproval,
  ObservedDecision,
  PolicyCompileError,
  WindowGrant,
} from './types.js';
