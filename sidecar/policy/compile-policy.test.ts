import { describe, expect, it } from 'vitest';
import { ANALYSTS_SPEC } from './test-helpers.js';
import { compilePolicy } from './compile-policy.js';
import { formatCompileErrors } from './compile-error.js';

const ref = { namespace: 'agents', name: 'analysts' };

function errorsOf(spec: unknown): string[] {
  const r = compilePolicy(ref, spec);
  if (r.ok) throw new Error('expected errors');
  return r.errors.map((e) => `${e.path}: ${e.message}`);
}

function withRule(rule: Record<string, unknown>): unknown {
  return { subjects: [{ group: 'g' }], connections: ['db'], rules: [rule] };
}

describe('compilePolicy', () => {
  it('compiles the DESIGN.md example with defaults applied', () => {
    const r = compilePolicy(ref, ANALYSTS_SPEC);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const p = r.policy;
    expect(p.id).toBe('agents/analysts');
    expect(p.masking).toEqual(['agents/pii']);
    expect([...p.connections]).toEqual(['reporting-db', 'prod-cluster']);
    expect(p.rules.map((x) => [x.name, x.action, x.enforce])).toEqual([
      ['reads', 'Allow', true],
      ['writes-need-a-dba', 'RequireApproval', true],
      ['no-drops', 'Deny', true],
      ['exec-into-privileged', 'RequireApproval', true],
    ]);
    expect(p.rules[1]?.approval).toMatchObject({
      timeoutMs: 600_000,
      maxDurationMs: 8 * 3_600_000,
      scope: 'Once',
    });
    expect(p.rules[3]?.approval).toMatchObject({ minApprovals: 1, timeout: '10m', timeoutMs: 600_000 });
  });

  it('defaults defaultAction to Deny and rules to none', () => {
    const r = compilePolicy(ref, { subjects: [{ user: 'a' }], connections: ['db'] });
    expect(r.ok && r.policy.defaultAction).toBe('Deny');
    expect(r.ok && r.policy.rules.length).toBe(0);
  });

  it('says which duration exceeds maxDuration', () => {
    expect(
      errorsOf(
        withRule({
          name: 'w',
          match: {},
          action: 'RequireApproval',
          approval: { approverGroups: ['dba'], scope: 'Window', duration: '12h', maxDuration: '8h' },
        }),
      ),
    ).toEqual(['rules[0].approval.duration: 12h exceeds maxDuration 8h']);
  });

  it('names the rule index in paths', () => {
    const spec = ANALYSTS_SPEC as { rules: unknown[] };
    const bad = {
      ...ANALYSTS_SPEC,
      rules: [
        ...spec.rules,
        {
          name: 'late',
          match: {},
          action: 'RequireApproval',
          approval: { approverGroups: ['dba'], scope: 'Window', duration: '12h' },
        },
      ],
    };
    expect(errorsOf(bad)).toEqual(['rules[4].approval.duration: 12h exceeds maxDuration 8h']);
  });

  it('needs a duration for scope Window', () => {
    expect(
      errorsOf(
        withRule({
          name: 'w',
          match: {},
          action: 'RequireApproval',
          approval: { approverGroups: ['dba'], scope: 'Window' },
        }),
      ),
    ).toEqual([
      'rules[0].approval.duration: scope Window needs a duration (how long the grant lasts, e.g. 1h)',
    ]);
  });

  it('needs approval settings for RequireApproval', () => {
    expect(errorsOf(withRule({ name: 'w', match: {}, action: 'RequireApproval' }))).toEqual([
      'rules[0].approval: a RequireApproval rule needs approval settings (at least approverGroups)',
    ]);
  });

  it('refuses zero durations and malformed ones', () => {
    expect(
      errorsOf(
        withRule({
          name: 'w',
          match: {},
          action: 'RequireApproval',
          approval: { approverGroups: ['d'], timeout: '0s' },
        }),
      ),
    ).toEqual(['rules[0].approval.timeout: 0s must be longer than zero']);
    const errs = errorsOf(
      withRule({
        name: 'w',
        match: {},
        action: 'RequireApproval',
        approval: { approverGroups: ['d'], timeout: '10 minutes' },
      }),
    );
    expect(errs).toHaveLength(1);
    expect(errs[0]).toMatch(/^rules\[0\]\.approval\.timeout: must be a duration/);
  });

  it('refuses duplicate rule names', () => {
    const spec = {
      subjects: [{ group: 'g' }],
      connections: ['db'],
      rules: [
        { name: 'r', match: {}, action: 'Allow' },
        { name: 'r', match: {}, action: 'Deny' },
      ],
    };
    expect(errorsOf(spec)).toEqual([
      'rules[1].name: duplicate rule name "r" (also rules[0]); rule names identify approvals and grants',
    ]);
  });

  it('refuses subjects that set none or two kinds', () => {
    expect(errorsOf({ subjects: [{ group: 'g', user: 'u' }, {}], connections: ['db'] })).toEqual([
      'subjects[0]: a subject sets exactly one of group, user or serviceAccount (this one sets 2)',
      'subjects[1]: a subject sets exactly one of group, user or serviceAccount (this one sets 0)',
    ]);
  });

  it('reports schema errors with their field path', () => {
    const errs = errorsOf({
      subjects: [],
      connections: ['Not_A_Name'],
      rules: [{ name: 'r', match: { verbs: ['x'] }, action: 'Maybe' }],
    });
    expect(errs.some((e) => e.startsWith('subjects:'))).toBe(true);
    expect(errs.some((e) => e.startsWith('connections[0]: must be a lowercase RFC 1123 name'))).toBe(true);
    expect(errs.some((e) => e.startsWith('rules[0].match:') && e.includes('verbs'))).toBe(true);
    expect(errs.some((e) => e.startsWith('rules[0].action:'))).toBe(true);
  });

  it('refuses non-objects and an empty ref', () => {
    expect(errorsOf(null).length).toBeGreaterThan(0);
    expect(errorsOf('rules: []').length).toBeGreaterThan(0);
    const r = compilePolicy({ namespace: '', name: 'x' }, ANALYSTS_SPEC);
    expect(r.ok).toBe(false);
    if (!r.ok)
      expect(formatCompileErrors(r.errors)).toBe('metadata.namespace: an AccessPolicy is namespaced');
  });
});

describe('attributeNames', () => {
  it('lists every attribute a rule matches on, once, sorted, so adapters know what to produce', () => {
    const result = compilePolicy(
      { namespace: 'agents', name: 'api' },
      {
        subjects: [{ group: 'g' }],
        connections: ['billing-api'],
        rules: [
          { name: 'a', match: { attributes: { 'body.role': 'admin', tty: true } }, action: 'Deny' },
          { name: 'b', match: { attributes: { 'body.role': 'x', 'query.limit': '1' } }, action: 'Allow' },
          { name: 'c', match: { operations: ['http.get'] }, action: 'Allow' },
        ],
      },
    );
    expect(result.ok && result.policy.attributeNames).toEqual(['body.role', 'query.limit', 'tty']);
  });
});
