import { describe, expect, it } from 'vitest';
import { approvalRequestSpec } from '../../crds/schemas/approval-request.js';
import { approvalRequestFor, type ApprovalAsk } from './approvals.js';
import type { SidecarIdentity } from './sidecar-identity.js';

const who: SidecarIdentity = {
  namespace: 'agents',
  serviceAccount: 'research-crew',
  pod: { metadata: { name: 'crew-0', uid: 'u' } },
  connections: ['shop-db'],
};
const ask: ApprovalAsk = {
  session: 's-1',
  connection: 'shop-db',
  protocol: 'postgres',
  requester: { subject: 'agent-analyst', groups: ['crewai-viewer'] },
  command: {
    text: "UPDATE orders SET status = 'refunded' WHERE id = 42",
    operations: ['update'],
    resources: ['orders', 'write:orders'],
  },
  policy: 'agents/analysts',
  rule: 'writes-need-a-dba',
  approval: { approverGroups: ['dba'], minApprovals: 1, timeoutMs: 600_000, scope: 'Once' },
};

describe('approvalRequestFor', () => {
  it('builds a schema-valid ApprovalRequest whose pod and service account come from the verified token', () => {
    const now = new Date('2026-11-23T10:00:00Z');
    const object = approvalRequestFor(who, ask, now) as {
      metadata: { name: string; namespace: string };
      spec: unknown;
    };
    expect(object.metadata.namespace).toBe('agents');
    expect(object.metadata.name).toMatch(/^shop-db-[0-9a-f]{8}$/);
    const spec = approvalRequestSpec.parse(object.spec);
    expect(spec.requester).toEqual({
      subject: 'agent-analyst',
      groups: ['crewai-viewer'],
      serviceAccount: 'agents/research-crew',
      pod: 'agents/crew-0',
    });
    expect(spec.expiresAt).toBe('2026-11-23T10:10:00.000Z');
  });

  it('refuses a connection the pod was not admitted with, and a policy of another namespace', () => {
    expect(() => approvalRequestFor(who, { ...ask, connection: 'billing-db' }, new Date())).toThrow(
      /not admitted/,
    );
    expect(() => approvalRequestFor(who, { ...ask, policy: 'kube-system/all' }, new Date())).toThrow(
      /not in the pod's namespace/,
    );
  });
});
