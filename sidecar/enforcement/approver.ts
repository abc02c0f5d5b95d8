/**
 * What the enforcement pipeline asks when a decision is RequireApproval. The approvals issue
 * implements it against the control plane; until one is configured, `NoApprover` denies, saying
 * that approval is required, so nothing that needs a reviewer ever runs unreviewed.
 */
import type { Command } from '../core/command.js';
import type { Decision } from '../policy/index.js';

export interface ApprovalContext {
  session: string;
  /** Tells the client it is waiting (a NoticeResponse, a line on stderr), naming the request. */
  notify(message: string): void;
  /** Aborted when the client goes away: the request is withdrawn and nothing runs later. */
  signal: AbortSignal;
}

export type ApprovalOutcome =
  { approved: true; request: string; reason: string } | { approved: false; request?: string; reason: string };

export interface Approver {
  requestApproval(
    commands: Command[],
    decision: Decision,
    context: ApprovalContext,
  ): Promise<ApprovalOutcome>;
}

export class NoApprover implements Approver {
  async requestApproval(_commands: Command[], decision: Decision): Promise<ApprovalOutcome> {
    return {
      approved: false,
      reason: `${decision.reason}; approval is required but this sidecar has no approval service configured`,
    };
  }
}
