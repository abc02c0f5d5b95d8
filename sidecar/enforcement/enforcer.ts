/**
 * The one enforcement pipeline every protocol adapter calls (DESIGN.md §4): judge the commands of
 * one message, wait for approval when a rule asks for it, and say which masking applies. It is
 * protocol-blind; adapters turn its verdicts into their own protocol's words.
 */
import type { Command, Identity } from '../core/command.js';
import type { CompiledMaskingRule } from '../masking/index.js';
import { evaluateAll, type Decision } from '../policy/index.js';
import type { ApprovalContext, Approver } from './approver.js';
import type { SidecarMetrics } from './metrics.js';
import type { BundleSource, PolicyBundle } from './policy-bundle.js';
import type { SessionRecorder } from './recorder.js';

export interface EnforcerDeps {
  bundle: BundleSource;
  approver: Approver;
  recorder: SessionRecorder;
  metrics: SidecarMetrics;
  now?: () => Date;
}

/** What the adapter does with a message: run it (masking with `masking`) or refuse it with `reason`. */
export type Verdict =
  | { run: true; decision: Decision; masking: CompiledMaskingRule[]; approvalRequest?: string }
  | { run: false; decision: Decision; reason: string; approvalRequest?: string };

export class Enforcer {
  private readonly now: () => Date;

  constructor(private readonly deps: EnforcerDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  /** The policy state in force now, for adapters that must know what rules look at (HTTP body fields). */
  currentBundle(): PolicyBundle {
    return this.deps.bundle.current();
  }

  /** Synchronous: the policy answer for one message's commands (strictest wins). */
  judge(commands: Command[]): Decision {
    const started = performance.now();
    const bundle = this.deps.bundle.current();
    const decision = evaluateAll(bundle.policies, commands, bundle.grants, this.now());
    const protocol = commands[0]?.protocol ?? 'unknown';
    this.deps.metrics.decisionSeconds.observe({ protocol }, (performance.now() - started) / 1000);
    return decision;
  }

  /**
   * The verdict for a decision that needs no waiting (Allow or Deny), recorded and counted. Allow
   * runs only if every masking rule it names is known: a missing one refuses rather than leaks.
   */
  verdict(session: string, commands: Command[], decision: Decision): Verdict {
    const verdict = this.unrecorded(decision) ?? this.immediate(decision);
    this.account(session, commands, decision, verdict);
    return verdict;
  }

  /** RequireApproval: asks the approver and waits; any failure of the approval path refuses. */
  async approval(
    session: string,
    commands: Command[],
    decision: Decision,
    context: ApprovalContext,
  ): Promise<Verdict> {
    let verdict: Verdict | undefined = this.unrecorded(decision);
    if (verdict) {
      this.account(session, commands, decision, verdict);
      return verdict;
    }
    try {
      const outcome = await this.deps.approver.requestApproval(commands, decision, context);
      if (outcome.approved) {
        const allowed = this.immediate({ ...decision, action: 'Allow' });
        verdict = { ...allowed, approvalRequest: outcome.request };
      } else {
        verdict = {
          run: false,
          decision,
          reason: outcome.reason,
          ...(outcome.request ? { approvalRequest: outcome.request } : {}),
        };
      }
    } catch (error) {
      verdict = {
        run: false,
        decision,
        reason: `approval could not be obtained: ${error instanceof Error ? error.message : String(error)}`,
      };
    }
    this.account(session, commands, decision, verdict);
    return verdict;
  }

  /**
   * Fail closed on recording: a command the recorder cannot promise to keep (spool full, disk
   * broken) is refused before it runs or waits for approval. The refusal itself is still recorded.
   */
  private unrecorded(decision: Decision): Verdict | undefined {
    const readiness = this.deps.recorder.accepting();
    if (readiness.ok) return undefined;
    return {
      run: false,
      decision,
      reason: `recording is unavailable, so no new command may run: ${readiness.reason}`,
    };
  }

  private immediate(decision: Decision): Verdict {
    if (decision.action !== 'Allow') return { run: false, decision, reason: decision.reason };
    const bundle = this.deps.bundle.current();
    const masking: CompiledMaskingRule[] = [];
    for (const name of decision.masking) {
      const rule = bundle.masking.get(name);
      if (!rule) {
        return {
          run: false,
          decision,
          reason: `masking rule ${name} named by ${decision.policy ?? 'a policy'} is not available, so results cannot be masked`,
        };
      }
      masking.push(rule);
    }
    return { run: true, decision, masking };
  }

  private account(session: string, commands: Command[], decision: Decision, verdict: Verdict): void {
    const protocol = commands[0]?.protocol ?? 'unknown';
    const outcome = verdict.run
      ? 'allow'
      : decision.action === 'RequireApproval'
        ? 'approval_refused'
        : 'deny';
    this.deps.metrics.commands.inc({ protocol, decision: outcome });
    this.deps.recorder.record(session, {
      type: 'command',
      commands: commands.map((c) => ({ text: c.text, operations: c.operations, resources: c.resources })),
      decision: {
        action: verdict.run ? 'Allow' : 'Deny',
        policy: decision.policy,
        rule: decision.rule,
        reason: verdict.run ? decision.reason : verdict.reason,
        observed: decision.observed,
        grant: decision.grant,
      },
      ...(verdict.approvalRequest ? { approval: verdict.approvalRequest } : {}),
    });
  }

  /** Masking rules that apply to `identity` (rules name their subjects; empty means everyone). */
  static forIdentity(rules: CompiledMaskingRule[], identity: Identity): CompiledMaskingRule[] {
    return rules.filter((r) => r.appliesTo(identity));
  }
}
