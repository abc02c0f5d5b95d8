import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { compileGlob } from './glob.js';

describe('compileGlob', () => {
  it.each([
    ['select', 'select', true],
    ['select', 'selects', false],
    ['sel*', 'select', true],
    ['sel*', 'sel', true],
    ['*', '', true],
    ['*', 'anything at all', true],
    ['*.drop', 'ddl.drop', true],
    ['ddl.*', 'ddl.truncate', true],
    ['ddl.*', 'ddlxdrop', false],
    ['public.*_pii', 'public.customers_pii', true],
    ['public.*_pii', 'public.customers_pii2', false],
    ['?', 'a', true],
    ['?', '', false],
    ['?', 'ab', false],
    ['a?c', 'abc', true],
    ['a*b*c', 'aXbYc', true],
    ['a*b*c', 'aXbY', false],
    ['write:*', 'write:public.t', true],
    ['write:*', 'read:public.t', false],
    ['.*', 'x', false],
    ['[ab]', 'a', false],
    ['[ab]', '[ab]', true],
    ['a+', 'aa', false],
    ['Select', 'select', false],
  ])('%j vs %j -> %s (case-sensitive)', (glob, value, expected) => {
    expect(compileGlob(glob).test(value)).toBe(expected);
  });

  it('is case-insensitive on request, and * spans newlines', () => {
    const g = compileGlob('DROP DATABASE*', { caseInsensitive: true });
    expect(g.test('drop database prod')).toBe(true);
    expect(g.test('Drop Database\nprod')).toBe(true);
    expect(g.test('  drop database prod')).toBe(false);
    expect(compileGlob('*delete*', { caseInsensitive: true }).test('x\nDELETE\ny')).toBe(true);
  });

  it('treats regex metacharacters literally', () => {
    expect(compileGlob('a.b').test('axb')).toBe(false);
    expect(compileGlob('(x|y)').test('x')).toBe(false);
    expect(compileGlob('^a$').test('^a$')).toBe(true);
    expect(compileGlob('\\d').test('\\d')).toBe(true);
  });

  it('stays fast on adversarial input', () => {
    const g = compileGlob('*a*a*a*a*a*b');
    const text = 'a'.repeat(20_000);
    const t0 = performance.now();
    expect(g.test(text)).toBe(false);
    expect(performance.now() - t0).toBeLessThan(2_000);
  });

  it('agrees with an anchored RegExp translation', () => {
    const alphabet = fc.constantFrom('a', 'b', '*', '?', '.');
    fc.assert(
      fc.property(
        fc.string({ unit: alphabet, maxLength: 8 }),
        fc.string({ unit: fc.constantFrom('a', 'b', '.'), maxLength: 10 }),
        (glob, value) => {
          const source = glob.replace(/[.]/g, '\\.').replace(/\*/g, '[\\s\\S]*').replace(/\?/g, '[\\s\\S]');
          const re = new RegExp(`^${source}$`);
          expect(compileGlob(glob).test(value)).toBe(re.test(value));
        },
      ),
    );
  });
});
