/**
 * Turns an AccessPolicy spec into a CompiledPolicy, or into errors a human can act on. The sidecar
 * calls it when policies change; the operator's admission webhook calls it to refuse a bad policy at
 * `kubectl apply`, so every error names its field (`rules[2].approval.duration: 12h exceeds
 * maxDuration 8h`).
 */
import {
  accessPolicySpec,
  type AccessPolicySpec,
  type PolicyRule,
} from '../../crds/schemas/access-policy.js';
import { fromZodError, type CompileError } from './compile-error.js';
import { parseDuration } from './duration.js';
import { compileRuleMatch } from './rule-matcher.js';
import { compileSubjects, subjectShapeErrors } from './subjects.js';
import type { CompilePolicyResult, CompiledRule, DecisionApproval } from './types.js';

/**
 * Validates `spec` with the CRD's zod schema (so defaults apply: `enforce: true`,
 * `defaultAction: Deny`, approval `timeout: 10m`...), then checks what a schema cannot: durations
 * that parse and fit (`duration <= maxDuration`), `scope: Window` with a duration, RequireApproval
 * rules with approval settings, unique rule names, one kind per subject.
 */
export function compilePolicy(ref: { namespace: string; name: string }, spec: unknown): CompilePolicyResult {
  const errors: CompileError[] = [];
  if (ref.namespace === '')
    errors.push({ path: 'metadata.namespace', message: 'an AccessPolicy is namespaced' });
  if (ref.name === '') errors.push({ path: 'metadata.name', message: 'must not be empty' });

  const parsed = accessPolicySpec.safeParse(spec);
  if (!parsed.success) return { ok: false, errors: [...errors, ...fromZodError(parsed.error)] };
  const s: AccessPolicySpec = parsed.data;
  const id = `${ref.namespace}/${ref.name}`;

  errors.push(...subjectShapeErrors(s.subjects, 'subjects'));

  const seen = new Map<string, number>();
  const rules: CompiledRule[] = [];
  s.rules.forEach((rule, index) => {
    const path = `rules[${index}]`;
    const first = seen.get(rule.name);
    if (first !== undefined) {
      errors.push({
        path: `${path}.name`,
        message: `duplicate rule name "${rule.name}" (also rules[${first}]); rule names identify approvals and grants`,
      });
    } else {
      seen.set(rule.name, index);
    }
    const approval = compileApproval(rule, path, errors);
    const { matches, namesUnparseable } = compileRuleMatch(rule.match, rule.action);
    rules.push(
      Object.freeze({
        name: rule.name,
        index,
        action: rule.action,
        enforce: rule.enforce,
        ...(approval !== undefined ? { approval } : {}),
        namesUnparseable,
        matches,
        reason: ruleReason(id, rule, approval),
      }),
    );
  });

  if (errors.length > 0) return { ok: false, errors };
  return {
    ok: true,
    policy: Object.freeze({
      id,
      namespace: ref.namespace,
      name: ref.name,
      subjects: compileSubjects(s.subjects, ref.namespace),
      connections: new Set(s.connections),
      rules: Object.freeze(rules),
      defaultAction: s.defaultAction,
      masking: Object.freeze([...new Set(s.masking.map((m) => `${ref.namespace}/${m}`))].sort()),
      attributeNames: Object.freeze(
        [...new Set(s.rules.flatMap((r) => Object.keys(r.match.attributes ?? {})))].sort(),
      ),
      defaultReason: `No rule of AccessPolicy ${id} matched; its defaultAction is ${s.defaultAction}.`,
      unparseableReason: `The command could not be parsed, and no rule of AccessPolicy ${id} that names the operation "unparseable" matched it.`,
    }),
  };
}

function compileApproval(
  rule: PolicyRule,
  path: string,
  errors: CompileError[],
): DecisionApproval | undefined {
  const a = rule.approval;
  if (a === undefined) {
    if (rule.action === 'RequireApproval') {
      errors.push({
        path: `${path}.approval`,
        message: 'a RequireApproval rule needs approval settings (at least approverGroups)',
      });
    }
    return undefined;
  }
  const timeoutMs = positiveDuration(a.timeout, `${path}.approval.timeout`, errors);
  const maxDurationMs = positiveDuration(a.maxDuration, `${path}.approval.maxDuration`, errors);
  let durationMs: number | undefined;
  if (a.duration !== undefined) {
    durationMs = positiveDuration(a.duration, `${path}.approval.duration`, errors);
    if (durationMs !== undefined && maxDurationMs !== undefined && durationMs > maxDurationMs) {
      errors.push({
        path: `${path}.approval.duration`,
        message: `${a.duration} exceeds maxDuration ${a.maxDuration}`,
      });
    }
  } else if (a.scope === 'Window') {
    errors.push({
      path: `${path}.approval.duration`,
      message: 'scope Window needs a duration (how long the grant lasts, e.g. 1h)',
    });
  }
  if (timeoutMs === undefined || maxDurationMs === undefined) return undefined;
  return Object.freeze({
    ...a,
    approverGroups: Object.freeze([...a.approverGroups]) as string[],
    timeoutMs,
    maxDurationMs,
    ...(durationMs !== undefined ? { durationMs } : {}),
  });
}

function positiveDuration(text: string, path: string, errors: CompileError[]): number | undefined {
  const ms = parseDuration(text);
  if (ms === undefined) {
    errors.push({ path, message: `"${text}" is not a duration such as 30s, 10m or 1h30m` });
    return undefined;
  }
  if (ms <= 0) {
    errors.push({ path, message: `${text} must be longer than zero` });
    return undefined;
  }
  return ms;
}

function ruleReason(policyId: string, rule: PolicyRule, approval: DecisionApproval | undefined): string {
  const where = `rule "${rule.name}" of AccessPolicy ${policyId}`;
  switch (rule.action) {
    case 'Allow':
      return `Allowed by ${where}.`;
    case 'Deny':
      return `Denied by ${where}.`;
    case 'RequireApproval': {
      const groups = approval?.approverGroups.join(', ') ?? '';
      const n = approval?.minApprovals ?? 1;
      return `Held for approval by ${where}: needs ${n} approval${n === 1 ? '' : 's'} from [${groups}].`;
    }
  }
}
