import { describe, expect, it } from 'vitest';
import { hashMask, partialMask, REDACT } from './strategies.js';

const KEY = new TextEncoder().encode('0123456789abcdef0123456789abcdef');

describe('partial', () => {
  it.each([
    ['4111 1111 1111 1111', 4, '**** **** **** 1111'],
    ['4111-1111-1111-1111', 4, '****-****-****-1111'],
    ['123-45-6789', 4, '***-**-6789'],
    ['alice@example.com', 4, '*****@******e.com'],
    ['+1 (415) 555-2671', 4, '+* (***) ***-2671'],
    ['123456', 4, '***456'],
    ['abc', 4, '**c'],
    ['ab', 4, '*b'],
    ['a', 4, '*'],
    ['', 4, ''],
    ['secret', 0, '******'],
    ['--', 4, '--'],
    ['Müller-Lüdenscheidt', 4, '******-********eidt'],
  ])('%j keepLast %d -> %j', (value, keep, expected) => {
    expect(partialMask(value, keep)).toBe(expected);
  });

  it('never keeps more than half of the letters and digits', () => {
    expect(partialMask('12345678', 16)).toBe('****5678');
  });

  it('is idempotent', () => {
    for (const v of ['4111 1111 1111 1111', 'abc', '123456', 'alice@example.com', 'x', '**34', 'Müller']) {
      const once = partialMask(v, 4);
      expect(partialMask(once, 4)).toBe(once);
    }
  });
});

describe('hash', () => {
  it('is keyed, deterministic and prefixed', () => {
    const a = hashMask('alice@example.com', KEY);
    expect(a).toMatch(/^h:[0-9a-f]{16}$/);
    expect(hashMask('alice@example.com', KEY)).toBe(a);
    expect(hashMask('bob@example.com', KEY)).not.toBe(a);
    expect(
      hashMask('alice@example.com', new TextEncoder().encode('another key of 32 bytes at least')),
    ).not.toBe(a);
  });

  it('leaves its own output alone', () => {
    const a = hashMask('x', KEY);
    expect(hashMask(a, KEY)).toBe(a);
  });
});

describe('redact', () => {
  it('replaces fields and spans with markers', () => {
    expect(REDACT.field('anything')).toBe('[REDACTED]');
    expect(REDACT.span('a@b.co', 'email')).toBe('[REDACTED:email]');
  });
});
