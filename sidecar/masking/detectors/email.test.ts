import { describe, expect, it } from 'vitest';
import { findEmails } from './email.js';

const found = (text: string) => findEmails(text).map((s) => text.slice(s.start, s.end));

describe('email detector', () => {
  it.each([
    'alice@example.com',
    'a.b+tag@mail.example.co.uk',
    'first_last%x@sub-domain.example.org',
    'UPPER@EXAMPLE.COM',
    'x@y.io',
  ])('finds %s', (email) => {
    expect(found(`mail <${email}> now`)).toEqual([email]);
  });

  it('trims surrounding punctuation', () => {
    expect(found('write to alice@example.com.')).toEqual(['alice@example.com']);
    expect(found('"bob@example.org",')).toEqual(['bob@example.org']);
    expect(found('.alice@example.com')).toEqual(['alice@example.com']);
  });

  it.each([
    '@example.com',
    'alice@',
    'alice@localhost',
    'alice@example.c0m',
    'a@b',
    'user@-bad.com',
    'x@y..com',
    '[REDACTED:email]',
    '*****@*******.com',
  ])('ignores %s', (text) => {
    expect(found(text)).toEqual([]);
  });

  it('finds several addresses and keeps them apart', () => {
    expect(found('a@x.com,b@y.org c@z.net')).toEqual(['a@x.com', 'b@y.org', 'c@z.net']);
    expect(found('a@b@c.com')).toEqual(['b@c.com']);
  });

  it('is linear on adversarial text', () => {
    const t0 = performance.now();
    findEmails('a'.repeat(300_000) + '@');
    findEmails('a@'.repeat(150_000));
    findEmails('a@' + 'b.'.repeat(150_000));
    expect(performance.now() - t0).toBeLessThan(2_000);
  });
});
