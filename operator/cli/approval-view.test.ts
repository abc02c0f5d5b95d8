import { describe, expect, it } from 'vitest';
import {
  age,
  listLines,
  showLines,
  sortForReview,
  truncate,
  watchLine,
  type ApprovalRequestItem,
} from './approval-view.js';

const now = new Date('2026-12-01T10:00:00Z');
const request = (
  name: string,
  phase: string | undefined,
  createdSecondsAgo: number,
): ApprovalRequestItem => ({
  metadata: {
    name,
    namespace: 'agents',
    creationTimestamp: new Date(now.getTime() - createdSecondsAgo * 1000).toISOString(),
  },
  spec: {
    requester: {
      subject: 'agent-analyst',
      groups: ['crewai-viewer'],
      pod: 'agents/crew-0',
      serviceAccount: 'agents/crew',
    },
    connection: 'shop-db',
    protocol: 'postgres',
    command: {
      text: `UPDATE orders\n   SET status = 'x' WHERE id = ${name.length}`,
      operations: ['update'],
      resources: ['orders'],
    },
    policy: 'agents/analysts',
    rule: 'writes-need-a-dba',
    approverGroups: ['dba'],
    minApprovals: 2,
    expiresAt: new Date(now.getTime() + 300_000).toISOString(),
    reviews: [],
  },
  ...(phase ? { status: { phase } } : {}),
});

describe('the list', () => {
  it('puts pending requests first, the longest-waiting first, then decided ones newest first', () => {
    const items = [
      request('old-denied', 'Denied', 900),
      request('new-pending', 'Pending', 10),
      request('new-approved', 'Executed', 60),
      request('old-pending', undefined, 400),
    ];
    expect(sortForReview(items).map((i) => i.metadata?.name)).toEqual([
      'old-pending',
      'new-pending',
      'new-approved',
      'old-denied',
    ]);
  });

  it('prints one line per request with the command on one line, truncated', () => {
    const lines = listLines([request('a', 'Pending', 90)], now, 20);
    expect(lines[0]).toMatch(/^NAME\s+NAMESPACE\s+PHASE\s+REQUESTER\s+CONNECTION\s+COMMAND\s+AGE$/);
    expect(lines[1]).toMatch(/^a\s+agents\s+Pending\s+agent-analyst\s+shop-db\s+UPDATE orders SET...\s+90s$/);
    expect(listLines([], now)).toEqual(['No approval requests found.']);
  });

  it('writes ages as kubectl does', () => {
    expect([5, 119, 120, 7_199, 7_200, 172_800].map((s) => age(0, s * 1000))).toEqual([
      '5s',
      '119s',
      '2m',
      '119m',
      '2h',
      '2d',
    ]);
    expect(truncate('a  b\nc', 10)).toBe('a b c');
  });
});

describe('show', () => {
  it('prints the whole command, the requester, the rule and every review with its stamped reviewer', () => {
    const item = request('a', 'Pending', 30);
    item.spec!.reviews = [
      {
        decision: 'Approve',
        comment: 'ok',
        reviewer: 'rita',
        reviewerGroups: ['dba'],
        reviewedAt: '2026-12-01T09:59:50Z',
      },
    ];
    item.status = { phase: 'Pending', approvedBy: ['rita'] };
    const text = showLines(item, now).join('\n');
    expect(text).toMatch(/Requester:\s+agent-analyst\n\s+Groups:\s+crewai-viewer\n\s+Pod:\s+agents\/crew-0/);
    expect(text).toMatch(/Rule:\s+writes-need-a-dba/);
    expect(text).toMatch(/Min approvals:\s+2 \(1 so far\)/);
    expect(text).toMatch(/Expires:\s+\S+ \(in 5m\)/);
    expect(text).toMatch(/2026-12-01T09:59:50Z {2}Approve {2}by rita \[dba\]: ok/);
    expect(text).toMatch(/Command:\n {2}UPDATE orders\n {2} {3}SET status/);
  });
});

describe('watch', () => {
  it('says what changed: a new request, each new review, a phase change with who decided', () => {
    const before = request('a', 'Pending', 5);
    expect(watchLine('ADDED', before, undefined, now)).toMatch(
      /new\s+agents\/a\s+Pending\s+agent-analyst on shop-db/,
    );
    const after: ApprovalRequestItem = {
      ...before,
      spec: { ...before.spec, reviews: [{ decision: 'Deny', reviewer: 'rita', comment: 'no' }] },
      status: { phase: 'Denied', deniedBy: 'rita' },
    };
    const line = watchLine('MODIFIED', after, before, now)!;
    expect(line.split('\n')).toHaveLength(2);
    expect(line).toMatch(
      /reviewed\s+agents\/a\s+Deny by rita: no\n.*phase\s+agents\/a\s+Pending -> Denied \(by rita\)/,
    );
    expect(watchLine('MODIFIED', after, after, now)).toBeUndefined();
  });
});
