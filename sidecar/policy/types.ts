/**
 * The values the policy engine hands out. A Decision is always a plain value — never an exception —
 * so every adapter can record it, turn it into a protocol-native answer and move on.
 */
import type { Action, ApprovalSettings } from '../../crds/schemas/access-policy.js';
import type { Command } from '../core/command.js';
import type { CompileError } from './compile-error.js';
import type { SubjectMatcher } from './subjects.js';

/** Approval settings of the deciding rule, with durations already in milliseconds. */
export type DecisionApproval = ApprovalSettings & {
  timeoutMs: number;
  /** Window length (scope Window only). */
  durationMs?: number;
  /** Upper bound for any window granted under the rule. */
  maxDurationMs: number;
};

/** An observe-only (`enforce: false`) rule that matched and would have denied or held the command. */
export interface ObservedDecision {
  action: 'Deny' | 'RequireApproval';
  /** `namespace/name` of the AccessPolicy. */
  policy: string;
  rule: string;
}

/** The engine's answer for one command (or, from `evaluateAll`, for one message). */
export interface Decision {
  action: Action;
  /** `namespace/name` of the AccessPolicy that decided; absent when no policy applied. */
  policy?: string;
  /** Name of the deciding rule; absent when a defaultAction decided. */
  rule?: string;
  /** A sentence for the agent, the recording and the audit log, naming policy and rule. */
  reason: string;
  /** Present when `action` is RequireApproval: what the ApprovalRequest must say. */
  approval?: DecisionApproval;
  /** MaskingRules (`namespace/name`) to apply to results: the union over every applicable policy. */
  masking: string[];
  /** Observe-only rules that would have denied or held the command. */
  observed: ObservedDecision[];
  /** Name of the ApprovalRequest whose Window grant allowed the command. */
  grant?: string;
}

/**
 * A time window granted by an approved `scope: Window` ApprovalRequest: the same requester may run
 * commands that hit the same rule of the same policy on the same connection until `expiresAt`.
 */
export interface WindowGrant {
  /** Name of the ApprovalRequest, quoted in the decision. */
  name: string;
  /** `identity.subject` of the requester. */
  subject: string;
  /** `namespace/name` of the AccessPolicy. */
  policy: string;
  rule: string;
  connection: string;
  expiresAt: Date;
}

/**
 * Lazily computed facts about one command, shared by every rule tried against it so each is
 * computed at most once per evaluation.
 */
export interface MatchContext {
  /** The command's operations; an empty list is read as `[unparseable]` (fail closed). */
  readonly operations: readonly string[];
  /** Whether the operations include `unparseable`. */
  readonly unparseable: boolean;
  /** `command.text` lower-cased, for case-insensitive text globs. */
  foldedText(): string;
}

/** One rule, compiled. */
export interface CompiledRule {
  readonly name: string;
  /** Position in `spec.rules`. */
  readonly index: number;
  readonly action: Action;
  readonly enforce: boolean;
  readonly approval?: DecisionApproval;
  /** The rule's operations literally include `unparseable`. */
  readonly namesUnparseable: boolean;
  readonly matches: (command: Command, context: MatchContext) => boolean;
  /** Precomputed reason for the decision this rule takes. */
  readonly reason: string;
}

/** An AccessPolicy compiled once: globs compiled, durations parsed, subjects in sets. */
export interface CompiledPolicy {
  /** `namespace/name`. */
  readonly id: string;
  readonly namespace: string;
  readonly name: string;
  readonly subjects: SubjectMatcher;
  readonly connections: ReadonlySet<string>;
  readonly rules: readonly CompiledRule[];
  readonly defaultAction: 'Allow' | 'Deny';
  /** MaskingRules as `namespace/name` (they live in the policy's namespace), sorted. */
  readonly masking: readonly string[];
  /**
   * Every attribute name a rule's `match.attributes` names, sorted. Adapters read it to learn which
   * facts they must produce (the HTTP proxy parses `body.*` fields only when a rule names one).
   */
  readonly attributeNames: readonly string[];
  /** Precomputed reason when the defaultAction decides. */
  readonly defaultReason: string;
  /** Precomputed reason when an unparseable command falls through every rule. */
  readonly unparseableReason: string;
}

export type PolicyCompileError = CompileError;

export type CompilePolicyResult =
  { ok: true; policy: CompiledPolicy } | { ok: false; errors: PolicyCompileError[] };
