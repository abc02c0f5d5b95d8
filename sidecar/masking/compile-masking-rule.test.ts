import { describe, expect, it } from 'vitest';
import { formatCompileErrors } from '../policy/compile-error.js';
import { compileMaskingRule, validateMaskingRuleSpec } from './compile-masking-rule.js';

const ref = { namespace: 'agents', name: 'pii' };
const KEY = new TextEncoder().encode('0123456789abcdef0123456789abcdef');

function errorsOf(spec: unknown, options = {}): string {
  const r = compileMaskingRule(ref, spec, options);
  if (r.ok) throw new Error('expected errors');
  return formatCompileErrors(r.errors);
}

describe('compileMaskingRule', () => {
  it('compiles with defaults: everyone, redact, keepLast 4', () => {
    const r = compileMaskingRule(ref, {
      detectors: ['email', 'creditCard'],
      fields: [{ column: 'customers.ssn' }, { jsonPath: '$..token' }, { kubernetes: 'secretData' }],
    });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.rule.id).toBe('agents/pii');
    expect(r.rule.everyone).toBe(true);
    expect(r.rule.appliesTo({ subject: 'anyone', groups: [] })).toBe(true);
    expect(r.rule.strategy.name).toBe('redact');
    expect(r.rule.columns).toEqual([{ column: 'ssn', table: { name: 'customers' } }]);
    expect(r.rule.jsonPaths).toHaveLength(1);
    expect(r.rule.secretData).toBe(true);
    expect(r.rule.detectors).toEqual(['email', 'creditCard']);
  });

  it('applies only to the subjects it names', () => {
    const r = compileMaskingRule(ref, {
      subjects: [{ group: 'viewers' }, { serviceAccount: { name: 'crew' } }],
      detectors: ['email'],
    });
    if (!r.ok) throw new Error(formatCompileErrors(r.errors));
    expect(r.rule.appliesTo({ subject: 'a', groups: ['viewers'] })).toBe(true);
    expect(r.rule.appliesTo({ subject: 'b', groups: ['admins'] })).toBe(false);
    expect(r.rule.appliesTo({ subject: 'c', groups: [], serviceAccount: 'agents/crew' })).toBe(true);
    expect(r.rule.appliesTo({ subject: 'c', groups: [], serviceAccount: 'other/crew' })).toBe(false);
  });

  it('needs a hashKeyRef and the key for strategy hash', () => {
    expect(errorsOf({ detectors: ['email'], strategy: 'hash' })).toBe(
      'hashKeyRef: strategy hash needs hashKeyRef (the Secret holding the HMAC key)',
    );
    const spec = { detectors: ['email'], strategy: 'hash', hashKeyRef: { name: 'mask-key', key: 'hmac' } };
    expect(errorsOf(spec)).toBe('hashKeyRef: the HMAC key (Secret mask-key, key hmac) was not provided');
    expect(errorsOf(spec, { hashKey: new Uint8Array(8) })).toBe(
      'hashKeyRef: the HMAC key is 8 bytes; at least 16 are needed',
    );
    const ok = compileMaskingRule(ref, spec, { hashKey: KEY });
    expect(ok.ok && ok.rule.strategy.name).toBe('hash');
    expect(validateMaskingRuleSpec(spec).ok).toBe(true);
  });

  it('refuses unsafe custom patterns with the reason', () => {
    expect(errorsOf({ patterns: [{ name: 'bad', regex: '(a+)+$' }] })).toMatch(
      /^patterns\[0\]\.regex: nested quantifiers .* \(custom patterns must run in linear time\)$/,
    );
    expect(
      errorsOf({
        patterns: [
          { name: 'ok', regex: 'x' },
          { name: 'back', regex: '(a)\\1' },
        ],
      }),
    ).toMatch(/^patterns\[1\]\.regex: backreferences/);
    expect(errorsOf({ patterns: [{ name: 'look', regex: 'a(?=b)' }] })).toMatch(/lookahead is not allowed/);
  });

  it('refuses duplicate pattern names, bad selectors and empty rules', () => {
    expect(
      errorsOf({
        patterns: [
          { name: 'a b', regex: 'x' },
          { name: 'a_b', regex: 'y' },
        ],
      }),
    ).toBe('patterns[1].name: "a_b" is the same marker name as patterns[0]');
    expect(errorsOf({ fields: [{ jsonPath: '$.a[?(@.b)]' }] })).toMatch(
      /^fields\[0\]\.jsonPath: filters are not supported/,
    );
    expect(errorsOf({ fields: [{ column: 'a..b' }] })).toMatch(/^fields\[0\]\.column: /);
    expect(errorsOf({ fields: [{ column: 'a', jsonPath: '$.a' }] })).toBe(
      'fields[0]: a field selector sets exactly one of column, jsonPath or kubernetes (this one sets 2)',
    );
    expect(errorsOf({})).toBe('a MaskingRule needs at least one of fields, detectors or patterns');
    expect(errorsOf({ detectors: ['ssn'] })).toMatch(/^detectors\[0\]: /);
    expect(errorsOf({ detectors: ['email'], subjects: [{}] })).toMatch(
      /^subjects\[0\]: a subject sets exactly one/,
    );
  });
});
