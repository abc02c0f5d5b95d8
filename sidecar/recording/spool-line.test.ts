import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { SessionEvent } from '../enforcement/recorder.js';
import { verifyChain } from './hash-chain.js';
import {
  parseSpoolLine,
  sealEventToLine,
  sealTerminalToLine,
  type ChainLink,
  type RecordedEvent,
} from './recorded-event.js';
import { readSpoolLine } from './spool-line.js';

const T = new Date(1_700_000_000_000);
const previous: ChainLink = { seq: 6, hash: 'ab'.repeat(32), sessionStarted: '2023-11-14T22:13:00.000Z' };

/** The spool line as the shipper's read buffer holds it, newline dropped, read the fast way. */
function read(line: string, pad = 0): { event: RecordedEvent | undefined; buffer: Buffer } {
  const bytes = Buffer.from(line.endsWith('\n') ? line.slice(0, -1) : line, 'utf8');
  const buffer = Buffer.concat([Buffer.alloc(pad, 0x0a), bytes, Buffer.from('\n')]);
  return { event: readSpoolLine(buffer, pad, pad + bytes.length), buffer };
}

/** What every consumer sees of an event: the fields the chain and the store are about. */
const fields = (e: RecordedEvent | undefined) =>
  e && {
    session: e.session,
    seq: e.seq,
    sessionStarted: e.sessionStarted,
    time: e.time,
    type: e.type,
    payload: e.payload,
    prevHash: e.prevHash,
    hash: e.hash,
  };

/** The full parse of the same line (today's path, the reference). */
const parsed = (line: string) => fields(parseSpoolLine(line.trimEnd()));

describe('readSpoolLine', () => {
  const output = randomBytes(1000);

  it.each(['stdout', 'stdin', 'stderr'] as const)(
    'takes a terminal line on %s apart without parsing its output',
    (stream) => {
      const { line, link } = sealTerminalToLine(
        'sess-1',
        { stream, bytes: output, elapsedMs: 42 },
        T,
        previous,
      );
      const { event, buffer } = read(line, 17);
      expect(event?.terminalOutput?.bytes.equals(output)).toBe(true);
      expect(event?.terminalOutput?.payloadJson).toBe(`{"elapsedMs":42,"stream":"${stream}"}`);
      // A view of the read buffer, not a copy.
      expect(event?.terminalOutput?.bytes.buffer).toBe(buffer.buffer);
      expect(fields(event)).toEqual(parsed(line));
      expect(event?.hash).toBe(link.hash);
      expect(event?.payload).toEqual({ data: output.toString('base64'), elapsedMs: 42, stream });
    },
  );

  it('takes the same line written by the generic sealEventToLine the same way', () => {
    const { line, event: sealed } = sealEventToLine(
      'sess-1',
      { type: 'terminal', stream: 'stdout', data: output.toString('base64'), elapsedMs: 3 },
      T,
      undefined,
    );
    const { event } = read(line);
    expect(event?.terminalOutput?.bytes.equals(output)).toBe(true);
    expect(fields(event)).toEqual(fields(sealed));
    expect(verifyChain([event!])).toMatchObject({ ok: true });
  });

  it('reads a line whose hash is wrong as the full parse does, for verify to flag', () => {
    const { line } = sealTerminalToLine('s', { stream: 'stdout', bytes: output, elapsedMs: 1 }, T, undefined);
    // One character of the output changed after sealing (damage, or an edit of the spool).
    const at = line.indexOf('"data":"') + 20;
    const edited = line.slice(0, at) + (line[at] === 'A' ? 'B' : 'A') + line.slice(at + 1);
    const { event } = read(edited);
    expect(fields(event)).toEqual(parsed(edited));
    expect(verifyChain([event!])).toMatchObject({ ok: false, reason: /does not match its recorded hash/ });
    // A hash that is not one: the line is not in the sealed form, and goes the full way.
    const notAHash = line.replace(/"hash":"[0-9a-f]/, '"hash":"x');
    const other = read(notAHash).event;
    expect(other?.terminalOutput).toBeUndefined();
    expect(fields(other)).toEqual(parsed(notAHash));
  });

  it('reads lines with escapes or other bytes in their times as the full parse does', () => {
    const { line } = sealTerminalToLine('s', { stream: 'stdout', bytes: output, elapsedMs: 1 }, T, undefined);
    for (const time of ['2023-11-14T22:13:20.000Z\\u0041', '2023-11-14T22:13:20.000Zé', '\\"'])
      for (const field of ['time', 'sessionStarted']) {
        const edited = line.replace(new RegExp(`"${field}":"[^"]+"`), `"${field}":"${time}"`);
        expect(edited).not.toBe(line);
        expect(fields(read(edited).event), `${field} ${time}`).toEqual(parsed(edited));
      }
  });

  it('gives undefined for a torn terminal line', () => {
    const { line } = sealTerminalToLine('s', { stream: 'stdout', bytes: output, elapsedMs: 1 }, T, undefined);
    for (const cut of [30, line.length / 2, line.length - 10])
      expect(read(line.slice(0, Math.floor(cut))).event).toBeUndefined();
  });

  it('reads every other event by the full parse, as parseSpoolLine does', () => {
    const events: SessionEvent[] = [
      { type: 'session.end', reason: 'done' },
      { type: 'resize', cols: 80, rows: 24, elapsedMs: 5 },
      { type: 'error', message: '{"payload":{"data":"', code: '42P01' },
    ];
    for (const e of events) {
      const { line } = sealEventToLine('s', e, T, previous);
      const { event } = read(line);
      expect(event?.terminalOutput).toBeUndefined();
      expect(event).toEqual(parseSpoolLine(line.trimEnd()));
    }
  });

  it('reads a terminal event whose data is not base64 in its one spelling by the full parse, bytes untouched', () => {
    for (const data of ['YQ', 'YR==', 'YWI', 'a-b_', 'YQ==YQ==', 'Y Q=', 'YQ===', '====', 'not base64!']) {
      const { line } = sealEventToLine(
        's',
        { type: 'terminal', stream: 'stdout', data, elapsedMs: 0 },
        T,
        undefined,
      );
      const { event, buffer } = read(line);
      expect(event?.terminalOutput, data).toBeUndefined();
      expect(fields(event), data).toEqual(parsed(line));
      expect(buffer.toString('utf8').trimEnd(), data).toBe(line.trimEnd());
    }
  });

  it('reads empty output and a session id outside ASCII', () => {
    const { line } = sealTerminalToLine(
      'sessión-ü-😀',
      { stream: 'stderr', bytes: Buffer.alloc(0), elapsedMs: 0 },
      T,
      undefined,
    );
    const { event } = read(line);
    expect(event?.terminalOutput?.bytes.length).toBe(0);
    expect(event?.session).toBe('sessión-ü-😀');
    expect(fields(event)).toEqual(parsed(line));
  });

  it('leaves the next line in the buffer as it was', () => {
    const a = sealTerminalToLine('s', { stream: 'stdout', bytes: output, elapsedMs: 1 }, T, undefined);
    const b = sealTerminalToLine('s', { stream: 'stdout', bytes: randomBytes(77), elapsedMs: 2 }, T, a.link);
    const buffer = Buffer.from(a.line + b.line, 'utf8');
    const first = readSpoolLine(buffer, 0, a.line.length - 1);
    const second = readSpoolLine(buffer, a.line.length, buffer.length - 1);
    expect(fields(first)).toEqual(parsed(a.line));
    expect(fields(second)).toEqual(parsed(b.line));
    expect(verifyChain([first!, second!])).toMatchObject({ ok: true, events: 2 });
  });

  it('yields the event the full parse yields, for any output, stream, time and session (property)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 600 }),
        fc.constantFrom('stdout', 'stdin', 'stderr' as const),
        fc.integer({ min: 0, max: 2 ** 40 }),
        fc.string(),
        fc.option(fc.integer({ min: 0, max: 10_000 }), { nil: undefined }),
        (bytes, stream, elapsedMs, session, seq) => {
          const link = seq === undefined ? undefined : { ...previous, seq };
          const { line } = sealTerminalToLine(
            session,
            { stream, bytes: Buffer.from(bytes), elapsedMs },
            new Date(T.getTime() + elapsedMs),
            link,
          );
          const { event } = read(line, 3);
          expect(event?.terminalOutput?.bytes.equals(Buffer.from(bytes))).toBe(true);
          expect(fields(event)).toEqual(parsed(line));
        },
      ),
    );
  });

  it('never takes a data string apart that does not encode back to itself (property)', () => {
    const alphabet = fc.constantFrom(...'AQgwYZaz09+/=-_ "\\\n'.split(''));
    fc.assert(
      fc.property(fc.array(alphabet, { maxLength: 24 }), (chars) => {
        const data = chars.join('');
        const { line } = sealEventToLine(
          's',
          { type: 'terminal', stream: 'stdout', data, elapsedMs: 1 },
          T,
          undefined,
        );
        const { event } = read(line);
        expect(fields(event)).toEqual(parsed(line));
        const out = event?.terminalOutput;
        if (out) expect(out.bytes.toString('base64')).toBe(data);
        else expect(Buffer.from(data, 'base64').toString('base64')).not.toBe(data);
      }),
    );
  });
});
