import { describe, expect, it } from 'vitest';
import { findJwts } from './jwt.js';

const JWT =
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c';
const found = (text: string) => findJwts(text).map((s) => text.slice(s.start, s.end));

describe('jwt detector', () => {
  it('finds a signed token, an unsigned one and a JWE', () => {
    expect(found(`Authorization: Bearer ${JWT}`)).toEqual([JWT]);
    const none = 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.';
    expect(found(`t=${none}&x=1`)).toEqual([none]);
    const jwe = 'eyJhbGciOiJSU0EtT0FFUCJ9.a2V5.aXY.Y2lwaGVy.dGFn';
    expect(found(jwe)).toEqual([jwe]);
  });

  it.each([
    'eyJhbGc',
    'eyJhbGciOi..',
    'xeyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.sig',
    'abc.def.ghi',
    '***.***.****',
  ])('ignores %s', (text) => {
    expect(found(text)).toEqual([]);
  });

  it('is linear on repeated prefixes', () => {
    const t0 = performance.now();
    findJwts('eyJ'.repeat(100_000));
    findJwts('eyJabcdef.'.repeat(50_000));
    expect(performance.now() - t0).toBeLessThan(2_000);
  });
});
