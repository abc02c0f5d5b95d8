/**
 * The policy engine: commands in, Decisions out. Pure — the clock is a parameter, grants are a
 * parameter — and allocation-light: globs are compiled, subjects and connections are sets, and a
 * PolicyIndex narrows the policies to the command's connection.
 *
 * Semantics (docs/policy-language.md says the same with examples):
 * 1. A policy applies when one of its subjects designates the identity and it names the connection.
 *    No applicable policy: Deny.
 * 2. Within a policy, rules are tried in order and the first that matches decides; none matches:
 *    the policy's defaultAction. Observe-only rules (`enforce: false`) that match with Deny or
 *    RequireApproval are recorded in `observed` and otherwise skipped.
 * 3. A command carrying `unparseable` is only allowed or held by a rule that names `unparseable`
 *    literally; a defaultAction of Allow does not allow it.
 * 4. A RequireApproval decision becomes Allow when a live Window grant exists for the same requester,
 *    policy, rule and connection (`now < expiresAt`).
 * 5. Across applicable policies: a decision taken by a rule beats any defaultAction; among rule
 *    decisions (resp. among defaults) the strictest wins, ties going to the policy first in
 *    `namespace/name` order. Masking is the union over all applicable policies.
 */
import { UNPARSEABLE, type Command } from '../core/command.js';
import { isPolicyIndex, type PolicySet } from './policy-index.js';
import { isStricter, strictness } from './strictness.js';
import { describeIdentity } from './subjects.js';
import type {
  CompiledPolicy,
  CompiledRule,
  Decision,
  MatchContext,
  ObservedDecision,
  WindowGrant,
} from './types.js';

const UNPARSEABLE_ONLY: readonly string[] = Object.freeze([UNPARSEABLE]);
const NO_MASKING: readonly string[] = Object.freeze([]);

/** What one applicable policy decided for the command. */
interface Outcome {
  policy: CompiledPolicy;
  action: Decision['action'];
  /** The deciding rule; undefined when the defaultAction decided. */
  rule: CompiledRule | undefined;
  grant: WindowGrant | undefined;
}

/**
 * Decides one command. Never throws for any input the types allow. `grants` are the live and expired
 * Window grants the sidecar knows of; `now` decides which are live.
 */
export function evaluate(
  policies: PolicySet,
  command: Command,
  grants: readonly WindowGrant[],
  now: Date,
): Decision {
  const candidates = isPolicyIndex(policies) ? policies.forConnection(command.connection) : policies;
  const context = matchContext(command);
  const observed: ObservedDecision[] = [];
  let bestRule: Outcome | undefined;
  let bestDefault: Outcome | undefined;
  let masking: readonly string[] | undefined;

  for (const policy of candidates) {
    if (!policy.connections.has(command.connection)) continue;
    if (!policy.subjects.matches(command.identity)) continue;

    masking = masking === undefined ? policy.masking : mergeSorted(masking, policy.masking);

    const outcome = evaluatePolicy(policy, command, context, grants, now, observed);
    if (outcome.rule !== undefined) {
      if (bestRule === undefined || wins(outcome, bestRule)) bestRule = outcome;
    } else if (bestDefault === undefined || wins(outcome, bestDefault)) {
      bestDefault = outcome;
    }
  }

  const best = bestRule ?? bestDefault;
  if (best === undefined) {
    return {
      action: 'Deny',
      reason: `No AccessPolicy grants connection "${command.connection}" to ${describeIdentity(command.identity)}.`,
      masking: [],
      observed,
    };
  }
  return toDecision(best, context, (masking ?? NO_MASKING).slice(), observed);
}

/**
 * Decides a message made of several commands (a multi-statement SQL string, a shell pipeline): the
 * strictest decision wins, the first command winning ties. `masking` and `observed` are merged over
 * all commands. An empty list is Allow with reason "empty" (there is nothing to run).
 */
export function evaluateAll(
  policies: PolicySet,
  commands: readonly Command[],
  grants: readonly WindowGrant[],
  now: Date,
): Decision {
  if (commands.length === 0) return { action: 'Allow', reason: 'empty', masking: [], observed: [] };
  let best: Decision | undefined;
  const masking = new Set<string>();
  const observed: ObservedDecision[] = [];
  const seen = new Set<string>();
  for (const command of commands) {
    const d = evaluate(policies, command, grants, now);
    if (best === undefined || isStricter(d.action, best.action)) best = d;
    for (const m of d.masking) masking.add(m);
    for (const o of d.observed) {
      const key = `${o.action}\u0000${o.policy}\u0000${o.rule}`;
      if (!seen.has(key)) {
        seen.add(key);
        observed.push(o);
      }
    }
  }
  return { ...(best as Decision), masking: [...masking].sort(), observed };
}

function evaluatePolicy(
  policy: CompiledPolicy,
  command: Command,
  context: MatchContext,
  grants: readonly WindowGrant[],
  now: Date,
  observed: ObservedDecision[],
): Outcome {
  for (const rule of policy.rules) {
    if (!rule.matches(command, context)) continue;
    if (!rule.enforce) {
      if (rule.action !== 'Allow') observed.push({ action: rule.action, policy: policy.id, rule: rule.name });
      continue;
    }
    if (rule.action === 'RequireApproval') {
      const grant = findGrant(grants, policy, rule, command, now);
      if (grant !== undefined) return { policy, action: 'Allow', rule, grant };
    }
    return { policy, action: rule.action, rule, grant: undefined };
  }
  const action = context.unparseable ? 'Deny' : policy.defaultAction;
  return { policy, action, rule: undefined, grant: undefined };
}

function findGrant(
  grants: readonly WindowGrant[],
  policy: CompiledPolicy,
  rule: CompiledRule,
  command: Command,
  now: Date,
): WindowGrant | undefined {
  const t = now.getTime();
  for (const g of grants) {
    if (
      g.rule === rule.name &&
      g.policy === policy.id &&
      g.subject === command.identity.subject &&
      g.connection === command.connection &&
      t < g.expiresAt.getTime()
    ) {
      return g;
    }
  }
  return undefined;
}

/** Stricter wins; equal strictness goes to the policy first in namespace/name order. */
function wins(a: Outcome, b: Outcome): boolean {
  const sa = strictness(a.action);
  const sb = strictness(b.action);
  return sa > sb || (sa === sb && a.policy.id < b.policy.id);
}

function toDecision(
  o: Outcome,
  context: MatchContext,
  masking: string[],
  observed: ObservedDecision[],
): Decision {
  const policy = o.policy.id;
  if (o.rule === undefined) {
    const reason = context.unparseable ? o.policy.unparseableReason : o.policy.defaultReason;
    return { action: o.action, policy, reason, masking, observed };
  }
  const rule = o.rule.name;
  if (o.grant !== undefined) {
    const reason = `Allowed by Window grant ${o.grant.name} for rule "${rule}" of AccessPolicy ${policy}, valid until ${o.grant.expiresAt.toISOString()}.`;
    return { action: 'Allow', policy, rule, reason, masking, observed, grant: o.grant.name };
  }
  const d: Decision = { action: o.action, policy, rule, reason: o.rule.reason, masking, observed };
  if (o.action === 'RequireApproval' && o.rule.approval !== undefined) d.approval = o.rule.approval;
  return d;
}

/** Union of two sorted, duplicate-free lists, sorted and duplicate-free; returns `a` when `b` adds nothing. */
function mergeSorted(a: readonly string[], b: readonly string[]): readonly string[] {
  if (b.length === 0) return a;
  if (a.length === 0) return b;
  const out: string[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    const x = a[i];
    const y = b[j];
    if (y === undefined || (x !== undefined && x < y)) {
      out.push(x as string);
      i++;
    } else if (x === undefined || y < x) {
      out.push(y);
      j++;
    } else {
      out.push(x);
      i++;
      j++;
    }
  }
  return out;
}

function matchContext(command: Command): MatchContext {
  const operations = command.operations.length === 0 ? UNPARSEABLE_ONLY : command.operations;
  let folded: string | undefined;
  return {
    operations,
    unparseable: operations.includes(UNPARSEABLE),
    foldedText: () => (folded ??= command.text.toLowerCase()),
  };
}
