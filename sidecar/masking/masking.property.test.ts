/**
 * Properties of the masking engine (fast-check):
 * - masking is idempotent (text, rows and JSON, for every strategy);
 * - a Luhn-valid card number, an e-mail address or a JWT embedded in random text never survives;
 * - values that are not selected and hold nothing detectable come back unchanged (same reference);
 * - a rule whose subjects do not include the identity changes nothing.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { Identity } from '../core/command.js';
import { maskerFor } from './masker.js';
import { mustCompileRule } from './test-helpers.js';

const ALL_DETECTORS = [
  'creditCard',
  'email',
  'phone',
  'usSsn',
  'iban',
  'jwt',
  'awsAccessKey',
  'pemPrivateKey',
];
const viewer: Identity = { subject: 'v', groups: ['viewers'] };
const outsider: Identity = { subject: 'o', groups: ['others'] };

const ruleFor = (strategy: string, subjects: unknown[] = []) =>
  mustCompileRule('agents/prop', {
    subjects,
    detectors: ALL_DETECTORS,
    patterns: [
      { name: 'emp', regex: 'EMP\\d{6}' },
      { name: 'tok', regex: 'tok=[^ ]+' },
    ],
    fields: [{ column: 'secret_col' }, { jsonPath: '$..password' }, { kubernetes: 'secretData' }],
    strategy,
    hashKeyRef: { name: 'k', key: 'k' },
  });

const STRATEGIES = ['redact', 'partial', 'hash'] as const;

const digit = fc.integer({ min: 0, max: 9 });
/** A Luhn-valid card number of 13–19 digits. */
const cardArb = fc
  .tuple(fc.integer({ min: 3, max: 6 }), fc.array(digit, { minLength: 11, maxLength: 17 }))
  .map(([first, rest]) => {
    const body = [first, ...rest];
    let sum = 0;
    for (let i = 0; i < body.length; i++) {
      let d = body[body.length - 1 - i] as number;
      if (i % 2 === 0) {
        d *= 2;
        if (d > 9) d -= 9;
      }
      sum += d;
    }
    return body.join('') + String((10 - (sum % 10)) % 10);
  });
const groupedCardArb = fc
  .tuple(cardArb, fc.constantFrom('', ' ', '-'))
  .map(([c, sep]) => (sep === '' ? c : c.replace(/(\d{4})(?=\d)/g, `$1${sep}`)));

const lower = fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789');
const emailArb = fc
  .tuple(
    fc.string({ unit: lower, minLength: 1, maxLength: 10 }),
    fc.string({ unit: lower, minLength: 1, maxLength: 10 }),
    fc.string({ unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz'), minLength: 2, maxLength: 6 }),
  )
  .map(([l, d, t]) => `${l}@${d}.${t}`);
const b64 = fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_');
const jwtArb = fc
  .tuple(
    fc.string({ unit: b64, minLength: 5, maxLength: 40 }),
    fc.string({ unit: b64, minLength: 2, maxLength: 40 }),
    fc.string({ unit: b64, maxLength: 40 }),
  )
  .map(([h, p, s]) => `eyJ${h}.${p}.${s}`);

const noiseArb = fc.string({ unit: fc.constantFrom(...'abcXYZ019 .,:;-_()[]@+*/\n=h'), maxLength: 30 });
const specialArb = fc.constantFrom(
  '[REDACTED]',
  '[REDACTED:email]',
  '[REDACTED:tok]',
  'h:0123456789abcdef',
  'tok=',
  'tok=abc',
  'EMP123456',
  '123-45-6789',
  '+44 20 7946 0958',
  '(415) 555-2671',
  'DE89 3704 0044 0532 0130 00',
  'AKIAIOSFODNN7EXAMPLE',
  '-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----',
  '****',
);
const pieceArb = fc.oneof(noiseArb, groupedCardArb, emailArb, jwtArb, specialArb);
const textArb = fc.array(pieceArb, { maxLength: 8 }).map((ps) => ps.join(' '));

describe('masking properties', () => {
  for (const strategy of STRATEGIES) {
    const m = maskerFor([ruleFor(strategy)], viewer);

    it(`maskText is idempotent (${strategy})`, () => {
      fc.assert(
        fc.property(textArb, (text) => {
          const once = m.maskText(text).text;
          const twice = m.maskText(once);
          expect(twice.text).toBe(once);
          expect(twice.maskedFields).toBe(0);
        }),
        { numRuns: 400 },
      );
    });

    it(`maskRow and maskJson are idempotent (${strategy})`, () => {
      const columns = [{ name: 'a' }, { name: 'secret_col' }, { name: 'b', table: 't' }];
      fc.assert(
        fc.property(fc.tuple(textArb, textArb, textArb), textArb, (row, t) => {
          const once = m.maskRow(columns, row).values;
          expect(m.maskRow(columns, once).values).toBe(once);
          const doc = {
            note: t,
            password: t,
            list: [
              t,
              { kind: 'Secret', data: { k: Buffer.from(t).toString('base64') }, stringData: { s: t } },
            ],
            [t]: 1,
          };
          const j1 = m.maskJson(doc).value;
          const j2 = m.maskJson(j1);
          expect(j2.value).toBe(j1);
          expect(j2.maskedFields).toBe(0);
        }),
        { numRuns: 200 },
      );
    });

    it(`never lets an embedded card, e-mail or JWT through (${strategy})`, () => {
      fc.assert(
        fc.property(
          noiseArb,
          fc.oneof(groupedCardArb, emailArb, jwtArb),
          noiseArb,
          (before, secret, after) => {
            const out = m.maskText(`${before} ${secret} ${after}`).text;
            expect(out).not.toContain(secret);
            if (/^[\d -]+$/.test(secret))
              expect(out.replace(/[ -]/g, '')).not.toContain(secret.replace(/[ -]/g, ''));
          },
        ),
        { numRuns: 500 },
      );
    });
  }

  const plainText = fc.string({
    unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz .,;:!?-()_/\n[]'),
    maxLength: 60,
  });
  const plainJson = fc.letrec((tie) => ({
    value: fc.oneof(
      { depthSize: 'small' },
      plainText,
      fc.integer({ min: -100_000, max: 100_000 }),
      fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 }),
      fc.boolean(),
      fc.constant(null),
      fc.array(tie('value'), { maxLength: 4 }),
      fc.dictionary(plainText, tie('value'), { maxKeys: 4 }),
    ),
  })).value;

  it('leaves values with nothing detectable and nothing selected unchanged', () => {
    const m = maskerFor([ruleFor('redact')], viewer);
    fc.assert(
      fc.property(
        plainText,
        fc.array(fc.option(plainText), { maxLength: 5 }),
        plainJson,
        (text, row, json) => {
          expect(m.maskText(text)).toEqual({ text, maskedFields: 0 });
          const cols = row.map((_, i) => ({ name: `c${i}` }));
          expect(m.maskRow(cols, row).values).toBe(row);
          expect(m.maskJson(json).value).toBe(json);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('changes nothing for an identity the rule does not name', () => {
    const m = maskerFor([ruleFor('redact', [{ group: 'viewers' }])], outsider);
    fc.assert(
      fc.property(textArb, fc.array(fc.option(textArb), { maxLength: 4 }), (text, row) => {
        expect(m.maskText(text).text).toBe(text);
        const cols = row.map((_, i) => ({ name: i === 0 ? 'secret_col' : `c${i}` }));
        expect(m.maskRow(cols, row).values).toBe(row);
        const doc = { password: text, kind: 'Secret', data: { k: text } };
        expect(m.maskJson(doc).value).toBe(doc);
      }),
      { numRuns: 300 },
    );
    expect(maskerFor([ruleFor('redact', [{ group: 'viewers' }])], viewer).maskText('a@b.co').text).toBe(
      '[REDACTED:email]',
    );
  });
});
