/**
 * Approvals through the control plane (DESIGN.md §6): the held command becomes an ApprovalRequest,
 * the client is told which one and the exact kubectl command that approves it, and the sidecar
 * waits on the request's phase. The client going away withdraws it (Cancelled); a control plane
 * that cannot be reached refuses the command (the enforcer turns any failure into a denial).
 */
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import type { Command } from '../core/command.js';
import type { ApprovalContext, ApprovalOutcome, Approver } from '../enforcement/approver.js';
import type { Decision, WindowGrant } from '../policy/index.js';
import { ControlPlaneError } from './control-plane-client.js';
import { readLines } from './json-lines.js';

export interface ControlPlaneApproverOptions {
  url: string;
  tokenFile: string;
  caCertificates?: string[];
  /** Told of a Window grant as soon as it is approved (the in-pod sidecar puts it in force at once). */
  onWindowGranted?: (grant: WindowGrant) => void;
}

interface ApprovalView {
  name: string;
  namespace: string;
  status: { phase?: string; deniedBy?: string; approvedBy?: string[]; windowEndsAt?: string };
  reviews: { reviewer?: string; decision?: string; comment?: string }[];
}

const unique = (values: string[]) => [...new Set(values)];

export class ControlPlaneApprover implements Approver {
  constructor(private readonly options: ControlPlaneApproverOptions) {}

  private headers() {
    return {
      authorization: `Bearer ${readFileSync(this.options.tokenFile, 'utf8').trim()}`,
      'content-type': 'application/json',
    };
  }

  private post(path: string, body: unknown): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      const req = request(
        new URL(path, this.options.url),
        { method: 'POST', ca: this.options.caCertificates, headers: this.headers() },
        (res) => {
          let text = '';
          res.on('data', (c: Buffer) => (text += c.toString()));
          res.on('end', () =>
            res.statusCode && res.statusCode < 300
              ? resolve(JSON.parse(text || '{}'))
              : reject(new ControlPlaneError(`${path}: ${res.statusCode} ${text}`, res.statusCode)),
          );
        },
      );
      req.on('error', (error) =>
        reject(new ControlPlaneError(`control plane unreachable: ${error.message}`)),
      );
      req.end(JSON.stringify(body));
    });
  }

  /** Resolves with the request once its phase is no longer Pending. */
  private watch(name: string, signal: AbortSignal): Promise<ApprovalView> {
    return new Promise((resolve, reject) => {
      const req = request(
        new URL(`/v1/approvals/${name}`, this.options.url),
        { ca: this.options.caCertificates, headers: this.headers() },
        (res) => {
          if (res.statusCode !== 200) {
            reject(new ControlPlaneError(`watching ${name}: ${res.statusCode}`, res.statusCode));
            return;
          }
          readLines(res, (line) => {
            const view = JSON.parse(line) as ApprovalView & { type?: string };
            if (view.type === 'heartbeat') return false;
            if (!view.status?.phase || view.status.phase === 'Pending') return false;
            req.destroy();
            resolve(view);
            return true;
          });
          res.on('end', () => reject(new ControlPlaneError(`the watch of ${name} ended before a decision`)));
        },
      );
      req.on('error', (error) =>
        reject(new ControlPlaneError(`control plane unreachable: ${error.message}`)),
      );
      signal.addEventListener('abort', () => req.destroy(new Error('withdrawn')), { once: true });
      req.end();
    });
  }

  async requestApproval(
    commands: Command[],
    decision: Decision,
    context: ApprovalContext,
  ): Promise<ApprovalOutcome> {
    const first = commands[0];
    if (!first || !decision.approval || !decision.policy || !decision.rule) {
      return { approved: false, reason: `${decision.reason}; the decision carries no approval settings` };
    }
    const created = (await this.post('/v1/approvals', {
      session: context.session,
      connection: first.connection,
      protocol: first.protocol,
      requester: { subject: first.identity.subject, groups: first.identity.groups },
      command: {
        text: commands.map((c) => c.text).join('; '),
        operations: unique(commands.flatMap((c) => c.operations)),
        resources: unique(commands.flatMap((c) => c.resources)),
      },
      policy: decision.policy,
      rule: decision.rule,
      approval: {
        approverGroups: decision.approval.approverGroups,
        minApprovals: decision.approval.minApprovals,
        timeoutMs: decision.approval.timeoutMs,
        scope: decision.approval.scope,
        ...(decision.approval.durationMs ? { durationMs: decision.approval.durationMs } : {}),
      },
    })) as { name: string; namespace: string };
    const { name, namespace } = created;
    context.notify(
      `crewgate: waiting for approval: ApprovalRequest ${namespace}/${name} (rule ${decision.rule}, approvers: ${decision.approval.approverGroups.join(', ')}). ` +
        `Approve with: kubectl patch approvalrequest ${name} -n ${namespace} --type=json -p '[{"op":"add","path":"/spec/reviews/-","value":{"decision":"Approve"}}]'`,
    );
    let view: ApprovalView;
    try {
      view = await this.watch(name, context.signal);
    } catch (error) {
      if (context.signal.aborted) {
        await this.post(`/v1/approvals/${name}/cancel`, {}).catch(() => undefined);
        return {
          approved: false,
          request: name,
          reason: `ApprovalRequest ${name} withdrawn: the client went away or cancelled`,
        };
      }
      throw error;
    }
    const phase = view.status.phase;
    if (phase === 'Approved') {
      if (decision.approval.scope === 'Window' && view.status.windowEndsAt) {
        this.options.onWindowGranted?.({
          name,
          subject: first.identity.subject,
          policy: decision.policy,
          rule: decision.rule,
          connection: first.connection,
          expiresAt: new Date(view.status.windowEndsAt),
        });
      }
      await this.post(`/v1/approvals/${name}/executed`, {}).catch(() => undefined);
      return {
        approved: true,
        request: name,
        reason: `approved by ${(view.status.approvedBy ?? []).join(', ')} (ApprovalRequest ${name})`,
      };
    }
    if (phase === 'Denied') {
      const review = view.reviews.find((r) => r.decision === 'Deny' && r.reviewer === view.status.deniedBy);
      return {
        approved: false,
        request: name,
        reason: `denied by ${view.status.deniedBy ?? 'a reviewer'}${review?.comment ? `: ${review.comment}` : ''} (ApprovalRequest ${name})`,
      };
    }
    return {
      approved: false,
      request: name,
      reason: `ApprovalRequest ${name} ${phase === 'Expired' ? 'expired without a decision' : `ended ${phase}`}`,
    };
  }
}
