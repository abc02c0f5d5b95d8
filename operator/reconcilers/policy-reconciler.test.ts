import { describe, expect, it } from 'vitest';
import { accessPolicyConditions } from './policy-reconciler.js';

const key = { namespace: 'agents', name: 'analysts' };
const spec = (extra: Record<string, unknown> = {}) => ({
  subjects: [{ group: 'crewai-viewer' }, { serviceAccount: { name: 'research-crew' } }],
  connections: ['reporting-db'],
  rules: [{ name: 'reads', match: { operations: ['select'] }, action: 'Allow' }],
  masking: ['pii'],
  ...extra,
});

describe('accessPolicyConditions', () => {
  it('is Valid with what it covers, and flags a MaskingRule that does not exist', () => {
    const ok = accessPolicyConditions(key, spec(), new Set(['pii']));
    expect(ok.conditions).toEqual([
      expect.objectContaining({ type: 'Valid', status: 'True' }),
      expect.objectContaining({ type: 'MaskingResolved', status: 'True' }),
    ]);
    expect(ok.extra).toEqual({
      coveredConnections: ['reporting-db'],
      coveredSubjects: ['group:crewai-viewer', 'serviceaccount:agents/research-crew'],
    });
    const missing = accessPolicyConditions(key, spec(), new Set());
    expect(missing.conditions[1]).toMatchObject({ status: 'False', reason: 'MaskingRuleNotFound' });
  });

  it('is not Valid with the compile error, naming the field', () => {
    const bad = accessPolicyConditions(
      key,
      spec({
        rules: [
          {
            name: 'w',
            match: { operations: ['update'] },
            action: 'RequireApproval',
            approval: { approverGroups: ['dba'], scope: 'Window', duration: '12h' },
          },
        ],
      }),
      new Set(['pii']),
    );
    expect(bad.conditions).toEqual([
      expect.objectContaining({ type: 'Valid', status: 'False', reason: 'CompileFailed' }),
    ]);
    expect(bad.conditions[0]!.message).toMatch(/rules\[0\]\.approval\.duration: 12h exceeds maxDuration 8h/);
  });
});
