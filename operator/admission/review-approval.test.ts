import { describe, expect, it } from 'vitest';
import { approvalRequestSpec } from '../../crds/schemas/approval-request.js';
import { applyJsonPatch } from '../injection/testing/apply-json-patch.js';
import type { ApprovalRequestObject, ReviewerInfo } from './approval-request-object.js';
import {
  decidePhase,
  stampReviews,
  validateApprovalCreate,
  validateReviewUpdate,
} from './review-approval.js';

const NOW = new Date('2026-03-01T12:00:00Z');
const EXPIRES = '2026-03-01T12:10:00Z';

const baseSpec = () => ({
  requester: {
    subject: 'alice',
    groups: ['crewai'],
    serviceAccount: 'agents/research-crew',
    pod: 'agents/research-crew-7d9',
  },
  connection: 'reporting-db',
  protocol: 'postgres',
  command: {
    text: 'UPDATE orders SET status = $1 WHERE id = 7',
    operations: ['update'],
    resources: ['write:public.orders'],
  },
  policy: 'agents/analysts',
  rule: 'writes-need-a-dba',
  approverGroups: ['dba', 'sre'],
  minApprovals: 1,
  scope: 'Once',
  expiresAt: EXPIRES,
  reviews: [] as Record<string, unknown>[],
});

const request = (spec: Record<string, unknown> = baseSpec(), phase?: string): ApprovalRequestObject => ({
  apiVersion: 'crewgate.dev/v1alpha1',
  kind: 'ApprovalRequest',
  metadata: { name: 'ar-7k2p', namespace: 'agents' },
  spec,
  ...(phase !== undefined ? { status: { phase } } : {}),
});

const withReviews = (
  reviews: Record<string, unknown>[],
  phase?: string,
  specOverride: Record<string, unknown> = {},
) => request({ ...baseSpec(), ...specOverride, reviews }, phase);

const bob: ReviewerInfo = { username: 'bob', groups: ['dba', 'system:authenticated'] };
const carol: ReviewerInfo = { username: 'carol', groups: ['sre'] };
const stamped = (who: ReviewerInfo, decision = 'Approve', at = NOW, comment?: string) => ({
  decision,
  ...(comment !== undefined ? { comment } : {}),
  reviewer: who.username,
  reviewerGroups: [...(who.groups ?? [])],
  reviewedAt: at.toISOString(),
});

/** The webhook pipeline: mutate with stampReviews, then validate the stamped object. */
function admit(oldObject: ApprovalRequestObject, newObject: ApprovalRequestObject, who: ReviewerInfo) {
  const after = applyJsonPatch(newObject, stampReviews(oldObject, newObject, who, NOW));
  return { after, result: validateReviewUpdate(oldObject, after, who) };
}

describe('stampReviews', () => {
  it('overwrites a claimed reviewer, groups and time with userInfo', () => {
    const old = withReviews([]);
    const patched = withReviews([
      {
        decision: 'Approve',
        comment: 'lgtm',
        reviewer: 'someone-else',
        reviewerGroups: ['dba'],
        reviewedAt: '2000-01-01T00:00:00Z',
      },
    ]);
    const ops = stampReviews(old, patched, bob, NOW);
    expect(ops).toEqual([
      {
        op: 'replace',
        path: '/spec/reviews/0',
        value: {
          decision: 'Approve',
          comment: 'lgtm',
          reviewer: 'bob',
          reviewerGroups: ['dba', 'system:authenticated'],
          reviewedAt: NOW.toISOString(),
        },
      },
    ]);
    const after = applyJsonPatch(patched, ops);
    expect((after.spec!.reviews as unknown[])[0]).toMatchObject({ reviewer: 'bob' });
  });

  it('stamps only reviews past the old list', () => {
    const old = withReviews([stamped(bob)]);
    const patched = withReviews([stamped(bob), { decision: 'Deny', reviewer: 'bob' }]);
    expect(
      stampReviews(old, patched, carol, NOW).map((o) => [o.path, (o.value as { reviewer: string }).reviewer]),
    ).toEqual([['/spec/reviews/1', 'carol']]);
  });

  it.each([
    ['no new review', withReviews([stamped(bob)]), withReviews([stamped(bob)])],
    ['a removed review', withReviews([stamped(bob)]), withReviews([])],
    [
      'no reviews field',
      request({ ...baseSpec(), reviews: undefined }),
      request({ ...baseSpec(), reviews: undefined }),
    ],
    ['a non-object review', withReviews([]), withReviews(['approve' as unknown as Record<string, unknown>])],
  ])('returns nothing for %s', (_name, old, patched) => {
    expect(stampReviews(old, patched, bob, NOW)).toEqual([]);
  });

  it('treats every review as new on CREATE', () => {
    expect(stampReviews(undefined, withReviews([{ decision: 'Approve' }]), bob, NOW)).toHaveLength(1);
  });
});

describe('validateReviewUpdate', () => {
  it.each([
    ['an approval by a dba', withReviews([]), withReviews([{ decision: 'Approve' }]), bob],
    [
      'a denial with a comment by an sre',
      withReviews([]),
      withReviews([{ decision: 'Deny', comment: 'not today' }]),
      carol,
    ],
    [
      'a second reviewer',
      withReviews([stamped(bob)]),
      withReviews([stamped(bob), { decision: 'Approve' }]),
      carol,
    ],
    [
      'a phase that is not set yet',
      request({ ...baseSpec(), reviews: undefined }),
      withReviews([{ decision: 'Approve' }]),
      bob,
    ],
    [
      'a metadata-only change with spec unchanged',
      withReviews([stamped(bob)], 'Approved'),
      {
        ...withReviews([stamped(bob)], 'Approved'),
        metadata: { name: 'ar-7k2p', namespace: 'agents', labels: { a: 'b' } },
      },
      { username: 'system:serviceaccount:crewgate-system:crewgate-operator', groups: [] },
    ],
  ])('allows %s', (_name, old, patched, who) => {
    expect(admit(old, patched, who).result).toEqual({ allowed: true });
  });

  it.each([
    [
      'an edit of the command',
      withReviews([]),
      request({
        ...baseSpec(),
        command: { text: 'DROP TABLE orders', operations: ['ddl.drop'], resources: [] },
        reviews: [{ decision: 'Approve' }],
      }),
      bob,
      /spec is frozen: only reviews may be appended \(changed: spec\.command\)/,
    ],
    [
      'widening the approver groups',
      withReviews([]),
      withReviews([{ decision: 'Approve' }], undefined, {
        approverGroups: ['dba', 'sre', 'everyone'],
        minApprovals: 1,
      }),
      bob,
      /changed: spec\.approverGroups/,
    ],
    [
      'lowering minApprovals',
      withReviews([], undefined, { minApprovals: 2 }),
      withReviews([], undefined, { minApprovals: 1 }),
      bob,
      /changed: spec\.minApprovals/,
    ],
    [
      'removing a field',
      withReviews([]),
      request({ ...baseSpec(), session: undefined, rule: undefined }),
      bob,
      /changed: spec\.rule/,
    ],
    [
      'removing a review',
      withReviews([stamped(bob, 'Deny')]),
      withReviews([]),
      carol,
      /reviews cannot be removed/,
    ],
    [
      'changing a review',
      withReviews([stamped(bob, 'Deny')]),
      withReviews([stamped(bob, 'Approve')]),
      bob,
      /reviews\[0\] cannot be changed/,
    ],
    [
      'a review of an approved request',
      withReviews([stamped(bob)], 'Approved'),
      withReviews([stamped(bob), { decision: 'Deny' }]),
      carol,
      /the request is Approved; reviews are closed/,
    ],
    [
      'a review of an expired request',
      withReviews([], 'Expired'),
      withReviews([{ decision: 'Approve' }]),
      bob,
      /is Expired/,
    ],
    [
      'self-approval by the OIDC subject',
      withReviews([]),
      withReviews([{ decision: 'Approve' }]),
      { username: 'alice', groups: ['dba'] },
      /alice requested this command and cannot review it/,
    ],
    [
      "self-approval by the requester's service account",
      withReviews([]),
      withReviews([{ decision: 'Approve' }]),
      { username: 'system:serviceaccount:agents:research-crew', groups: ['dba', 'system:serviceaccounts'] },
      /system:serviceaccount:agents:research-crew requested this command/,
    ],
    [
      'a reviewer outside the approver groups',
      withReviews([]),
      withReviews([{ decision: 'Approve', reviewer: 'bob', reviewerGroups: ['dba'] }]),
      { username: 'mallory', groups: ['developers'] },
      /mallory is in none of the approver groups \[dba, sre\]/,
    ],
    [
      'a second review by the same reviewer',
      withReviews([stamped(bob)], undefined, { minApprovals: 2 }),
      withReviews([stamped(bob), { decision: 'Approve' }], undefined, { minApprovals: 2 }),
      bob,
      /bob already reviewed this request \(reviews\[0\]\); each reviewer counts once/,
    ],
    [
      'two reviews in one patch',
      withReviews([], undefined, { minApprovals: 2 }),
      withReviews([{ decision: 'Approve' }, { decision: 'Approve' }], undefined, { minApprovals: 2 }),
      bob,
      /already reviewed/,
    ],
    [
      'a review with an unknown decision',
      withReviews([]),
      withReviews([{ decision: 'Maybe' }]),
      bob,
      /reviews\[0\]: decision/,
    ],
    [
      'a review with an unknown field',
      withReviews([]),
      withReviews([{ decision: 'Approve', scope: 'Window' }]),
      bob,
      /reviews\[0\]/,
    ],
    [
      'a review after expiresAt',
      withReviews([], undefined, { expiresAt: '2026-03-01T11:59:00Z' }),
      withReviews([{ decision: 'Approve' }], undefined, { expiresAt: '2026-03-01T11:59:00Z' }),
      bob,
      /expired at 2026-03-01T11:59:00.000Z/,
    ],
  ])('refuses %s', (_name, old, patched, who, message) => {
    const { result } = admit(old, patched, who);
    expect(result.allowed).toBe(false);
    if (!result.allowed) {
      expect(result.message).toMatch(/^ApprovalRequest agents\/ar-7k2p: /);
      expect(result.message).toMatch(message);
    }
  });

  it('refuses a review the mutating webhook did not stamp', () => {
    const r = validateReviewUpdate(
      withReviews([]),
      withReviews([{ decision: 'Approve', reviewer: 'bob', reviewerGroups: ['dba'] }]),
      bob,
    );
    expect(r).toMatchObject({ allowed: false, message: expect.stringMatching(/not stamped/) });
    const claimed = validateReviewUpdate(withReviews([]), withReviews([stamped(carol)]), bob);
    expect(claimed).toMatchObject({ allowed: false, message: expect.stringMatching(/not stamped/) });
  });

  it('records the authenticated reviewer even when the patch claims someone else', () => {
    const { after, result } = admit(
      withReviews([]),
      withReviews([{ decision: 'Approve', reviewer: 'someone-else' }]),
      bob,
    );
    expect(result).toEqual({ allowed: true });
    expect((after.spec!.reviews as Record<string, unknown>[])[0]!.reviewer).toBe('bob');
  });
});

describe('validateApprovalCreate', () => {
  const config = { operatorUsername: 'system:serviceaccount:crewgate-system:crewgate-operator' };
  const operator = { username: config.operatorUsername, groups: ['system:serviceaccounts'] };

  it('allows the operator to create a request without reviews', () => {
    expect(validateApprovalCreate(withReviews([]), operator, config)).toEqual({ allowed: true });
    expect(validateApprovalCreate(request({ ...baseSpec(), reviews: undefined }), operator, config)).toEqual({
      allowed: true,
    });
  });

  it.each([
    [
      'anyone else',
      withReviews([]),
      bob,
      /only the crewgate operator \(system:serviceaccount:crewgate-system:crewgate-operator\) creates ApprovalRequests, not bob/,
    ],
    [
      'the agent itself',
      withReviews([]),
      { username: 'system:serviceaccount:agents:research-crew' },
      /only the crewgate operator/,
    ],
    ['a request that arrives reviewed', withReviews([stamped(bob)]), operator, /must have no reviews/],
    [
      'an invalid spec',
      request({ ...baseSpec(), approverGroups: [] }),
      operator,
      /invalid spec: approverGroups/,
    ],
  ])('refuses %s', (_name, object, who, message) => {
    const r = validateApprovalCreate(object, who, config);
    expect(r).toMatchObject({ allowed: false, message: expect.stringMatching(message) });
  });
});

describe('decidePhase', () => {
  const spec = (reviews: Record<string, unknown>[], extra: Record<string, unknown> = {}) =>
    approvalRequestSpec.parse({ ...baseSpec(), ...extra, reviews });
  const at = (minute: number) => new Date(Date.UTC(2026, 2, 1, 12, minute));
  const dave: ReviewerInfo = { username: 'dave', groups: ['dba'] };

  it.each([
    ['no reviews yet', spec([]), NOW, { phase: 'Pending', approvedBy: [] }],
    [
      'one approval of one needed',
      spec([stamped(bob, 'Approve', at(1))]),
      NOW,
      { phase: 'Approved', approvedBy: ['bob'], decidedAt: at(1).toISOString() },
    ],
    [
      'a deny',
      spec([stamped(bob, 'Deny', at(2), 'no')]),
      NOW,
      { phase: 'Denied', approvedBy: [], deniedBy: 'bob', decidedAt: at(2).toISOString() },
    ],
    [
      'a deny after one of two approvals',
      spec([stamped(bob, 'Approve', at(1)), stamped(carol, 'Deny', at(2))], { minApprovals: 2 }),
      NOW,
      { phase: 'Denied', approvedBy: ['bob'], deniedBy: 'carol', decidedAt: at(2).toISOString() },
    ],
    [
      'minApprovals 2 with the same reviewer twice',
      spec([stamped(bob, 'Approve', at(1)), stamped(bob, 'Approve', at(2))], { minApprovals: 2 }),
      NOW,
      { phase: 'Pending', approvedBy: ['bob'] },
    ],
    [
      'minApprovals 2 with two distinct reviewers',
      spec(
        [stamped(bob, 'Approve', at(1)), stamped(bob, 'Approve', at(2)), stamped(carol, 'Approve', at(3))],
        { minApprovals: 2 },
      ),
      NOW,
      { phase: 'Approved', approvedBy: ['bob', 'carol'], decidedAt: at(3).toISOString() },
    ],
    [
      'minApprovals 2 with the same reviewer twice, past expiry',
      spec([stamped(bob, 'Approve', at(1)), stamped(bob, 'Approve', at(2))], { minApprovals: 2 }),
      at(11),
      { phase: 'Expired', approvedBy: ['bob'], decidedAt: new Date(EXPIRES).toISOString() },
    ],
    [
      'nothing by expiresAt',
      spec([]),
      at(10),
      { phase: 'Expired', approvedBy: [], decidedAt: new Date(EXPIRES).toISOString() },
    ],
    [
      'an approval made in time, read after expiry',
      spec([stamped(bob, 'Approve', at(5))]),
      at(30),
      { phase: 'Approved', approvedBy: ['bob'], decidedAt: at(5).toISOString() },
    ],
    [
      'an approval stamped after expiresAt',
      spec([stamped(bob, 'Approve', at(11))]),
      at(12),
      { phase: 'Expired', approvedBy: [], decidedAt: new Date(EXPIRES).toISOString() },
    ],
    ['an unstamped approval', spec([{ decision: 'Approve' }]), NOW, { phase: 'Pending', approvedBy: [] }],
    [
      'a self-approval that got past the webhook',
      spec([stamped({ username: 'alice', groups: ['dba'] })]),
      NOW,
      { phase: 'Pending', approvedBy: [] },
    ],
    [
      'an approval outside the approver groups',
      spec([stamped({ username: 'mallory', groups: ['dev'] })]),
      NOW,
      { phase: 'Pending', approvedBy: [] },
    ],
    [
      'an unreadable expiresAt',
      spec([], { expiresAt: 'soon' }),
      NOW,
      { phase: 'Expired', approvedBy: [], decidedAt: NOW.toISOString() },
    ],
    [
      'an approval reached before a later deny',
      spec([stamped(bob, 'Approve', at(1)), stamped(dave, 'Deny', at(2))]),
      NOW,
      { phase: 'Approved', approvedBy: ['bob'], decidedAt: at(1).toISOString() },
    ],
  ])('%s', (_name, s, now, expected) => {
    expect(decidePhase(s, now)).toEqual(expected);
  });
});
