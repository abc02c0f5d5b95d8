import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LineBuffer } from './line-buffer.js';
import { sealEventToLine, sealTerminalInto, sealTerminalToLine, type ChainLink } from './recorded-event.js';

describe('LineBuffer', () => {
  it('holds what was written, in order, across any number of growths from a tiny buffer (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.string({ unit: 'grapheme-ascii' }), fc.string({ unit: 'binary' })), {
          maxLength: 40,
        }),
        (texts) => {
          const out = new LineBuffer(8);
          for (const t of texts) {
            if (/^[\x20-\x7e]*$/.test(t)) out.writeAscii(t);
            else out.writeUtf8(t);
          }
          expect(out.bytes().toString('utf8')).toBe(texts.join(''));
          expect(out.length).toBe(Buffer.byteLength(texts.join('')));
        },
      ),
    );
  });

  it('starts empty again after clear, also after a burst grew it', () => {
    const out = new LineBuffer(16);
    out.writeAscii('x'.repeat(1000));
    out.clear();
    expect(out.length).toBe(0);
    out.writeAscii('ab');
    expect(out.bytes().toString()).toBe('ab');
  });

  it('truncates to a mark and refuses a mark past the end', () => {
    const out = new LineBuffer(16);
    out.writeAscii('keep');
    const mark = out.length;
    out.writeAscii(',drop');
    out.truncate(mark);
    expect(out.bytes().toString()).toBe('keep');
    expect(() => out.truncate(5)).toThrow(RangeError);
  });
});

describe('sealTerminalInto', () => {
  it("writes a turn's lines exactly as sealing them one by one, however the buffer grows (property)", () => {
    fc.assert(
      fc.property(
        fc.string(),
        fc.array(
          fc.record({
            bytes: fc.uint8Array({ maxLength: 2000 }),
            stream: fc.constantFrom('stdin' as const, 'stdout' as const, 'stderr' as const),
            elapsedMs: fc.nat(),
          }),
          { minLength: 1, maxLength: 12 },
        ),
        (session, chunks) => {
          const out = new LineBuffer(32);
          const expected: string[] = [];
          let link: ChainLink | undefined;
          let reference: ChainLink | undefined;
          chunks.forEach((c, i) => {
            const chunk = { ...c, bytes: Buffer.from(c.bytes) };
            const time = new Date(1_700_000_000_000 + i);
            link = sealTerminalInto(out, session, chunk, time, link);
            const one = sealEventToLine(
              session,
              {
                type: 'terminal',
                stream: c.stream,
                data: chunk.bytes.toString('base64'),
                elapsedMs: c.elapsedMs,
              },
              time,
              reference,
            );
            reference = one.event;
            expected.push(one.line);
          });
          expect(out.bytes().toString('utf8')).toBe(expected.join(''));
          expect(link?.hash).toBe(reference?.hash);
        },
      ),
    );
  });

  it('leaves the buffer as it was when the chunk cannot be sealed', () => {
    const out = new LineBuffer(32);
    const before = sealTerminalToLine(
      's',
      { stream: 'stdout', bytes: Buffer.from('a'), elapsedMs: 0 },
      new Date(0),
      undefined,
    );
    out.writeUtf8(before.line);
    const bad = { stream: 'stdout' as const, bytes: Buffer.from('secret'), elapsedMs: Number.NaN };
    expect(() => sealTerminalInto(out, 's', bad, new Date(1), before.link)).toThrow();
    expect(out.bytes().toString()).toBe(before.line);
  });
});
