import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { builtinRegexSafety } from './check-regex.js';

const check = (s: string) => builtinRegexSafety.check(s);

describe('custom pattern safety', () => {
  it.each([
    'ACME-[0-9]{6}',
    'EMP\\d{5}',
    'sk_live_[A-Za-z0-9]{24,}',
    '(?:ghp|gho)_[A-Za-z0-9]{36}',
    '\\b[A-Z]{2}\\d{6}\\b',
    '^secret$',
    'token=[^&\\s]+',
    '(ab)+',
    '(ab?)+',
    '(\\d{3}-)+\\d{4}',
    '[a-z]+@corp',
    '\\d+-\\d+',
    '\\p{Lu}\\d{4}',
    '(?<id>X\\d{4})',
    'a{2}',
    'x[\\]\\-]y',
    '\\u{1F600}+',
    'password\\s*[:=]\\s*\\S+',
  ])('accepts %s', (src) => {
    expect(check(src)).toEqual({ ok: true });
  });

  it.each([
    ['(a)\\1', /backreference/],
    ['(?<x>a)\\k<x>', /backreference/],
    ['foo(?=bar)', /lookahead/],
    ['foo(?!bar)', /lookahead/],
    ['(?<=a)b', /lookbehind/],
    ['(?<!a)b', /lookbehind/],
    ['(a+)+', /nested quantifiers/],
    ['(a*)*', /nested quantifiers|empty text/],
    ['(a+){3}', /nested quantifiers/],
    ['(a{1,3}){2,}', /nested quantifiers/],
    ['([a-z]+\\.)*com', /nested quantifiers/],
    ['(a|aa)+', /same character/],
    ['(\\d|\\w)+x', /same character/],
    ['(a|)+b', /empty/],
    ['(a?)+b', /empty text/],
    ['(\\w\\w?)+', /split the same text/],
    ['(a?a)+', /split the same text/],
    ['\\d+\\d+', /unbounded repetitions/],
    ['.*x.*', /unbounded repetitions/],
    ['\\w+\\s?\\w+', /unbounded repetitions/],
    ['a*', /empty text/],
    ['(x?)', /empty text/],
    ['(', /not a valid regular expression/],
    ['a{2,1}', /not a valid regular expression/],
    ['\\q', /not a valid regular expression/],
    ['a{1,100000}', /above 1000/],
    ['x'.repeat(600), /longer than 512/],
  ])('refuses %s', (src, reason) => {
    const r = check(src);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(reason);
  });

  it('never throws, whatever the input', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: fc.constantFrom(...'ab()[]{}|*+?\\^$.-,0123dDwWkpu<>=!:'), maxLength: 20 }),
        (s) => {
          const r = check(s);
          expect(typeof r.ok).toBe('boolean');
          if (r.ok) expect(() => new RegExp(s, 'gu')).not.toThrow();
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('accepted random patterns run fast on adversarial input', () => {
    const inputs = ['a'.repeat(2000) + '!', 'ab'.repeat(1000) + '!', '1'.repeat(2000) + 'x'];
    fc.assert(
      fc.property(
        fc.string({
          unit: fc.constantFrom('a', 'b', '1', '(', ')', '|', '*', '+', '?', '\\d', '.', '[ab]'),
          maxLength: 10,
        }),
        (s) => {
          if (!check(s).ok) return;
          const re = new RegExp(s, 'gu');
          const t0 = performance.now();
          for (const input of inputs) input.match(re);
          // What this catches is exponential backtracking: seconds to hours on these inputs. The
          // bound leaves room for a quadratic pattern on a loaded machine (500 ms failed once with
          // the suite sharing two cores), which the checker accepts by design.
          expect(performance.now() - t0).toBeLessThan(2_000);
        },
      ),
      { numRuns: 1500 },
    );
  });
});
