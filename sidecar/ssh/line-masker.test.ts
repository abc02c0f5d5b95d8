import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { maskerFor } from '../masking/index.js';
import { mustCompileRule } from '../masking/test-helpers.js';
import { LineMasker, type MaskedOutput } from './line-masker.js';

const identity = { subject: 'alice', groups: ['crewai-viewer'] };
const masker = maskerFor(
  [mustCompileRule('agents/cards', { detectors: ['creditCard'], strategy: 'redact' })],
  identity,
);
const CARD = '4111111111111111';

function text(outputs: MaskedOutput[]): string {
  return Buffer.concat(
    outputs.map((o) => {
      if (o.binary) throw new Error('binary');
      return o.data;
    }),
  ).toString('utf8');
}

/** Feeds `input` split at `cuts`, then flushes, and returns everything that went out. */
function run(input: Buffer, cuts: number[], m = new LineMasker(masker)): MaskedOutput[] {
  const outs: MaskedOutput[] = [];
  let at = 0;
  for (const cut of [...cuts].sort((a, b) => a - b)) {
    outs.push(m.push(input.subarray(at, cut)));
    at = cut;
  }
  outs.push(m.push(input.subarray(at)));
  outs.push(m.flush());
  return outs;
}

describe('LineMasker', () => {
  it('masks a card number split across chunks anywhere, because it holds bytes until the newline', () => {
    const input = Buffer.from(`name: alice\ncard: ${CARD}\nend\n`);
    const whole = text(run(input, []));
    expect(whole).not.toContain(CARD);
    expect(whole).toContain('name: alice\n');
    for (let cut = 0; cut <= input.length; cut++) expect(text(run(input, [cut]))).toBe(whole);
  });

  it('gives out nothing of a line before its newline, and the partial last line at flush', () => {
    const m = new LineMasker(masker);
    expect(text([m.push(Buffer.from('card: 4111 '))])).toBe('');
    expect(m.held).toBe(11);
    expect(text([m.push(Buffer.from('1111 1111 1111'))])).toBe('');
    const last = text([m.flush()]);
    expect(last).toMatch(/^card: \S*REDACTED/);
    expect(last).not.toContain('1111 1111');
  });

  it('scans a line longer than the bound at the bound, without splitting a UTF-8 character', () => {
    const m = new LineMasker(masker, 10);
    const out = m.push(Buffer.from('ééééééé')); // 14 bytes, no newline
    expect(out.binary).toBe(false);
    expect(text([out])).toBe('ééééé');
    expect(text([m.flush()])).toBe('éé');
  });

  it('reports binary output (NUL, invalid UTF-8) once and refuses everything after it', () => {
    for (const bad of [Buffer.from([0x41, 0x00, 0x0a]), Buffer.from([0xff, 0xfe, 0x0a])]) {
      const m = new LineMasker(masker);
      expect(m.push(Buffer.from('fine\n'))).toMatchObject({ binary: false });
      expect(m.push(bad)).toEqual({ binary: true });
      expect(m.push(Buffer.from(`${CARD}\n`))).toEqual({ binary: true });
      expect(m.flush()).toEqual({ binary: true });
    }
  });

  it('never lets a Luhn-valid card number through, however the stream is cut (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom('x', ' ', '\n', 'é', ` ${CARD} `, 'card= ', '-'), { maxLength: 30 }),
        fc.array(fc.nat(), { maxLength: 6 }),
        (pieces, rawCuts) => {
          const input = Buffer.from(pieces.join(''));
          const cuts = rawCuts.map((c) => c % (input.length + 1));
          const out = text(run(input, cuts));
          expect(out).toBe(text(run(input, [])));
          // Same lines out as in, and no card survives.
          expect(out.split('\n').length).toBe(input.toString().split('\n').length);
          expect(out).not.toContain(CARD);
        },
      ),
    );
  });
});
