import { describe, expect, it } from 'vitest';
import { scanOptions, type OptionSpec } from './options.js';
import { literalWord, type Word } from './word.js';

const words = (...values: string[]): Word[] => values.map(literalWord);
const spec: OptionSpec = {
  short: 'Eu:h::',
  long: { user: 'required', login: 'none', 'preserve-env': 'optional' },
};

describe('scanOptions', () => {
  it('clusters flags and takes an argument from the next word', () => {
    const r = scanOptions('sudo', words('-Eu', 'postgres', 'psql'), spec);
    expect(r).toEqual({
      ok: true,
      next: 2,
      options: [{ name: 'E' }, { name: 'u', value: literalWord('postgres') }],
    });
  });

  it('takes an attached argument', () => {
    expect(scanOptions('sudo', words('-upostgres', 'psql'), spec)).toMatchObject({ ok: true, next: 1 });
  });

  it('accepts long options with = or the next word, and unique prefixes', () => {
    expect(scanOptions('sudo', words('--user=a', '--us', 'b', '--log', 'x'), spec)).toMatchObject({
      ok: true,
      next: 4,
    });
  });

  it('stops at -- and at the first operand', () => {
    expect(scanOptions('sudo', words('--', '-E'), spec)).toMatchObject({ ok: true, next: 1 });
    expect(scanOptions('sudo', words('ls', '-E'), spec)).toMatchObject({ ok: true, next: 0 });
  });

  it('fails on unknown options, missing arguments and unknown words', () => {
    expect(scanOptions('sudo', words('-X', 'ls'), spec)).toMatchObject({ ok: false });
    expect(scanOptions('sudo', words('--nope', 'ls'), spec)).toMatchObject({ ok: false });
    expect(scanOptions('sudo', words('-u'), spec)).toMatchObject({ ok: false });
    expect(scanOptions('sudo', words('--login=1'), spec)).toMatchObject({ ok: false });
    const unknown: Word = { value: '$X', literal: false, splits: false, prefix: '' };
    expect(scanOptions('sudo', [unknown], spec)).toMatchObject({ ok: false });
  });

  it('accepts an unknown option argument that stays one word', () => {
    const user: Word = { value: '"$U"', literal: false, splits: false, prefix: '' };
    expect(scanOptions('sudo', [literalWord('-u'), user, literalWord('ls')], spec)).toMatchObject({
      ok: true,
      next: 2,
    });
  });
});
