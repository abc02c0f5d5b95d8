import { describe, expect, it } from 'vitest';
import { redactSecrets, redactString } from './redact.js';

describe('redactSecrets', () => {
  const jwt = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhZ2VudCJ9.c2lnbmF0dXJlLXNpZ25hdHVyZQ';
  it('removes JWTs and SQL password literals wherever they are', () => {
    expect(redactString(`SELECT '${jwt}'`)).toBe("SELECT '[redacted]:jwt'");
    expect(redactString("ALTER ROLE app PASSWORD 'it''s secret' VALID UNTIL 'x'")).toBe(
      "ALTER ROLE app PASSWORD '[redacted]' VALID UNTIL 'x'",
    );
    expect(redactSecrets({ commands: [{ text: `x ${jwt}` }], n: 1 })).toEqual({
      commands: [{ text: 'x [redacted]:jwt' }],
      n: 1,
    });
  });
  it('leaves ordinary text alone', () => {
    expect(redactString('SELECT password_hint FROM t')).toBe('SELECT password_hint FROM t');
  });
});
