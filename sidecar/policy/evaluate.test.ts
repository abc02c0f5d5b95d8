import { describe, expect, it } from 'vitest';
import { evaluate, evaluateAll } from './evaluate.js';
import { indexPolicies } from './policy-index.js';
import { ANALYSTS_SPEC, cmd, mustCompile } from './test-helpers.js';
import type { WindowGrant } from './types.js';

const now = new Date('2025-06-01T12:00:00Z');

const analysts = mustCompile('agents/analysts', ANALYSTS_SPEC);

describe('evaluate', () => {
  it('first matching rule decides, and the decision names policy and rule', () => {
    const d = evaluate([analysts], cmd({ operations: ['select'] }), [], now);
    expect(d).toEqual({
      action: 'Allow',
      policy: 'agents/analysts',
      rule: 'reads',
      reason: 'Allowed by rule "reads" of AccessPolicy agents/analysts.',
      masking: ['agents/pii'],
      observed: [],
    });
  });

  it('RequireApproval carries the approval settings in milliseconds', () => {
    const d = evaluate([analysts], cmd({ operations: ['delete'] }), [], now);
    expect(d.action).toBe('RequireApproval');
    expect(d.rule).toBe('writes-need-a-dba');
    expect(d.approval).toMatchObject({ approverGroups: ['dba'], timeoutMs: 600_000, scope: 'Once' });
    expect(d.reason).toBe(
      'Held for approval by rule "writes-need-a-dba" of AccessPolicy agents/analysts: needs 1 approval from [dba].',
    );
  });

  it('falls to defaultAction with a reason that says so', () => {
    const d = evaluate([analysts], cmd({ operations: ['ddl.drop'], text: 'DROP TABLE t' }), [], now);
    expect(d).toMatchObject({ action: 'Deny', policy: 'agents/analysts' });
    expect(d.rule).toBeUndefined();
    expect(d.reason).toBe('No rule of AccessPolicy agents/analysts matched; its defaultAction is Deny.');
  });

  it('denies with a clear reason when no policy applies', () => {
    const d = evaluate([analysts], cmd({ connection: 'billing-db' }), [], now);
    expect(d.action).toBe('Deny');
    expect(d.policy).toBeUndefined();
    expect(d.reason).toBe(
      'No AccessPolicy grants connection "billing-db" to subject "alice", groups [crewai-viewer].',
    );
    expect(d.masking).toEqual([]);
    const d2 = evaluate([analysts], cmd({ identity: { subject: 'mallory', groups: ['x'] } }), [], now);
    expect(d2.reason).toContain('No AccessPolicy grants connection "reporting-db" to subject "mallory"');
  });

  it('matches attributes by strict equality: the string "true" is not boolean true', () => {
    const exec = { connection: 'prod-cluster', protocol: 'kubernetes' as const, operations: ['exec'] };
    expect(evaluate([analysts], cmd({ ...exec, attributes: { privilegedPod: true } }), [], now).rule).toBe(
      'exec-into-privileged',
    );
    expect(
      evaluate([analysts], cmd({ ...exec, attributes: { privilegedPod: 'true' } }), [], now).rule,
    ).toBeUndefined();
    expect(evaluate([analysts], cmd({ ...exec, attributes: {} }), [], now).rule).toBeUndefined();
  });

  it('reads an empty operations list as unparseable', () => {
    const open = mustCompile('ns/open', {
      subjects: [{ user: 'alice' }],
      connections: ['reporting-db'],
      rules: [{ name: 'all', match: {}, action: 'Allow' }],
      defaultAction: 'Allow',
    });
    const d = evaluate([open], cmd({ operations: [] }), [], now);
    expect(d.action).toBe('Deny');
    expect(d.reason).toContain('could not be parsed');
  });

  it('an empty match block matches everything parseable', () => {
    const p = mustCompile('ns/p', {
      subjects: [{ user: 'alice' }],
      connections: ['reporting-db'],
      rules: [{ name: 'all', match: {}, action: 'Allow' }],
    });
    expect(evaluate([p], cmd({ operations: ['ddl.drop', 'insert'], resources: ['x'] }), [], now).action).toBe(
      'Allow',
    );
  });

  it('gives the same answers from an index and from a list', () => {
    const other = mustCompile('agents/other', {
      subjects: [{ group: 'crewai-viewer' }],
      connections: ['other-db'],
      defaultAction: 'Allow',
    });
    const idx = indexPolicies([other, analysts]);
    for (const c of [
      cmd({}),
      cmd({ connection: 'other-db' }),
      cmd({ connection: 'none' }),
      cmd({ operations: ['delete'] }),
    ]) {
      expect(evaluate(idx, c, [], now)).toEqual(evaluate([analysts, other], c, [], now));
    }
  });

  it('applies Window grants for the same requester, rule, policy and connection until they expire', () => {
    const windowed = mustCompile('agents/jit', {
      subjects: [{ group: 'crewai-viewer' }],
      connections: ['reporting-db'],
      rules: [
        {
          name: 'writes',
          match: { operations: ['insert'] },
          action: 'RequireApproval',
          approval: { approverGroups: ['dba'], scope: 'Window', duration: '1h' },
        },
      ],
    });
    const grant: WindowGrant = {
      name: 'ar-1',
      subject: 'alice',
      policy: 'agents/jit',
      rule: 'writes',
      connection: 'reporting-db',
      expiresAt: new Date('2025-06-01T13:00:00Z'),
    };
    const c = cmd({ operations: ['insert'] });
    const d = evaluate([windowed], c, [grant], now);
    expect(d).toMatchObject({ action: 'Allow', grant: 'ar-1', rule: 'writes', policy: 'agents/jit' });
    expect(d.reason).toBe(
      'Allowed by Window grant ar-1 for rule "writes" of AccessPolicy agents/jit, valid until 2025-06-01T13:00:00.000Z.',
    );
    expect(d.approval).toBeUndefined();
    expect(evaluate([windowed], c, [grant], new Date('2025-06-01T13:00:00Z')).action).toBe('RequireApproval');
    expect(
      evaluate(
        [windowed],
        cmd({ operations: ['insert'], identity: { subject: 'bob', groups: ['crewai-viewer'] } }),
        [grant],
        now,
      ).action,
    ).toBe('RequireApproval');
    expect(evaluate([windowed], c, [{ ...grant, connection: 'other' }], now).action).toBe('RequireApproval');
    expect(evaluate([windowed], c, [{ ...grant, rule: 'other' }], now).action).toBe('RequireApproval');
    expect(evaluate([windowed], c, [{ ...grant, policy: 'x/jit' }], now).action).toBe('RequireApproval');
  });

  it('never throws on odd but well-typed input', () => {
    const d = evaluate(
      [],
      cmd({ operations: ['', '*'], resources: [''], text: '\u0000'.repeat(10) }),
      [],
      now,
    );
    expect(d.action).toBe('Deny');
  });
});

describe('evaluateAll', () => {
  it('is Allow "empty" for no commands', () => {
    expect(evaluateAll([analysts], [], [], now)).toEqual({
      action: 'Allow',
      reason: 'empty',
      masking: [],
      observed: [],
    });
  });

  it('takes the strictest decision, the first command winning ties', () => {
    const d = evaluateAll(
      [analysts],
      [cmd({ operations: ['select'] }), cmd({ operations: ['delete'] }), cmd({ operations: ['update'] })],
      [],
      now,
    );
    expect(d.action).toBe('RequireApproval');
    expect(d.rule).toBe('writes-need-a-dba');
    const d2 = evaluateAll(
      [analysts],
      [cmd({ operations: ['delete'] }), cmd({ operations: ['ddl.drop'], text: 'DROP DATABASE x' })],
      [],
      now,
    );
    expect(d2).toMatchObject({ action: 'Deny', rule: 'no-drops' });
  });

  it('merges observed decisions over all commands', () => {
    const p = mustCompile('ns/p', {
      subjects: [{ user: 'alice' }],
      connections: ['reporting-db'],
      rules: [
        { name: 'watch-deletes', match: { operations: ['delete'] }, action: 'Deny', enforce: false },
        { name: 'watch-inserts', match: { operations: ['insert'] }, action: 'Deny', enforce: false },
        { name: 'all', match: {}, action: 'Allow' },
      ],
    });
    const d = evaluateAll(
      [p],
      [cmd({ operations: ['delete'] }), cmd({ operations: ['insert'] }), cmd({ operations: ['delete'] })],
      [],
      now,
    );
    expect(d.action).toBe('Allow');
    expect(d.observed).toEqual([
      { action: 'Deny', policy: 'ns/p', rule: 'watch-deletes' },
      { action: 'Deny', policy: 'ns/p', rule: 'watch-inserts' },
    ]);
  });
});
