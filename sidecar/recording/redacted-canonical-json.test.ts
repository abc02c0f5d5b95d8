import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from './canonical-json.js';
import { canonicalRedactedJson } from './redacted-canonical-json.js';
import { redactSecrets } from './redact.js';

const threeSteps = (v: unknown): unknown => JSON.parse(JSON.stringify(redactSecrets(v)) ?? 'null');

const secretish = fc.oneof(
  fc.string(),
  fc.constant("ALTER ROLE x PASSWORD 'hunter2'"),
  fc.constant('Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlc2ln'),
);
/** Arbitrary event-like values: secrets, odd numbers, undefined, functions, dates, nesting. */
const value = fc.letrec((tie) => ({
  leaf: fc.oneof(
    secretish,
    fc.double(),
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    fc.constant(undefined),
    fc.constant(-0),
    fc.constant(() => 1),
    fc.date({ noInvalidDate: true }),
  ),
  node: fc.oneof(
    { depthSize: 'small' },
    tie('leaf'),
    fc.array(tie('node'), { maxLength: 4 }),
    fc.dictionary(fc.string(), tie('node'), { maxKeys: 4 }),
  ),
})).node;
describe('canonicalRedactedJson', () => {
  it('is canonicalJson(threeSteps(v)), byte for byte, on arbitrary values', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), value, { maxKeys: 5 }), (v) => {
        expect(canonicalRedactedJson(v)).toBe(canonicalJson(threeSteps(v)));
      }),
      { numRuns: 2000 },
    );
  });

  it('leaves out the one top-level key it is told to, and only at the top', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), value, { maxKeys: 5 }), fc.string(), (v, key) => {
        const withKey = {
          ...v,
          [key]: 'x',
          nested: { [key]: 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlc2ln' },
        };
        const rest = Object.fromEntries(Object.entries(withKey).filter(([k]) => k !== key));
        expect(canonicalRedactedJson(withKey, key)).toBe(canonicalJson(threeSteps(rest)));
      }),
      { numRuns: 500 },
    );
  });

  it('redacts a token and a SQL password the way redactSecrets does', () => {
    const event = {
      commands: [{ text: "ALTER ROLE a PASSWORD 'x'", resources: [] }],
      note: 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlc2ln',
    };
    expect(canonicalRedactedJson(event)).toBe(
      `{"commands":[{"resources":[],"text":"ALTER ROLE a PASSWORD '[redacted]'"}],"note":"[redacted]:jwt"}`,
    );
  });

  it('keeps an own __proto__ key, redacted', () => {
    const v = JSON.parse(
      '{"__proto__":{"a":"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlc2ln"},"b":-0}',
    ) as unknown;
    expect(canonicalRedactedJson(v)).toBe('{"__proto__":{"a":"[redacted]:jwt"},"b":0}');
  });
});
