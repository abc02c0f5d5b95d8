import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { SessionEvent } from '../enforcement/recorder.js';
import { canonicalJson } from './canonical-json.js';
import { verifyChain } from './hash-chain.js';
import { redactSecrets } from './redact.js';
import {
  hashEvent,
  parseSpoolLine,
  sealEvent,
  sealEventToLine,
  sealRedactedToLine,
  sealTerminalToLine,
  ZERO_HASH,
  type RecordedEvent,
} from './recorded-event.js';

const events: SessionEvent[] = [
  {
    type: 'session.start',
    identity: { subject: 'agent', groups: ['crewai-viewer'] },
    connection: 'shop-db',
    protocol: 'postgres',
    client: '127.0.0.1:1',
  },
  {
    type: 'command',
    commands: [{ text: 'SELECT 1', operations: ['select'], resources: [] }],
    decision: { action: 'Allow', policy: 'p', rule: 'r', reason: 'ok', observed: [] },
  },
  { type: 'result', rows: 1, tag: 'SELECT 1', maskedFields: 0 },
  { type: 'session.end', reason: 'client closed' },
];

function chain(list = events, t0 = Date.UTC(2025, 0, 1)): RecordedEvent[] {
  const out: RecordedEvent[] = [];
  list.forEach((e, i) => out.push(sealEvent('s1', e, new Date(t0 + i * 10), out[out.length - 1])));
  return out;
}

describe('canonical JSON', () => {
  it('sorts keys at every depth and drops undefined', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, 'x', null], c: undefined, b: true } })).toBe(
      '{"a":{"b":true,"d":[1,"x",null]},"b":1}',
    );
  });
  it('is the same for any key order of the same value (property)', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.oneof(fc.integer(), fc.string(), fc.boolean())), (o) => {
        const reversed = Object.fromEntries(Object.entries(o).reverse());
        expect(canonicalJson(reversed)).toBe(canonicalJson(o));
        expect(JSON.parse(canonicalJson(o))).toEqual(o);
      }),
    );
  });
});

describe('the hash chain', () => {
  it('starts at the zero hash and links each event to the previous one', () => {
    const c = chain();
    expect(c[0]!.prevHash).toBe(ZERO_HASH);
    expect(c.map((e) => e.seq)).toEqual([0, 1, 2, 3]);
    for (let i = 1; i < c.length; i++) expect(c[i]!.prevHash).toBe(c[i - 1]!.hash);
    expect(c.every((e) => e.sessionStarted === c[0]!.time)).toBe(true);
    expect(verifyChain(c)).toEqual({ ok: true, events: 4, finalHash: c[3]!.hash, complete: true });
  });

  it('survives a round trip through JSON with keys reordered (as jsonb does)', () => {
    const c = chain().map(
      (e) =>
        JSON.parse(
          canonicalJson({ ...e, payload: Object.fromEntries(Object.entries(e.payload).reverse()) }),
        ) as RecordedEvent,
    );
    expect(verifyChain(c).ok).toBe(true);
  });

  it('breaks at an edited event', () => {
    const c = chain();
    c[2] = { ...c[2]!, payload: { ...c[2]!.payload, rows: 2 } };
    expect(verifyChain(c)).toMatchObject({
      ok: false,
      brokenAt: 2,
      reason: expect.stringMatching(/content does not match/),
    });
  });

  it('breaks after an edited event whose hash was recomputed too', () => {
    const c = chain();
    const edited = { ...c[1]!, payload: { ...c[1]!.payload, approval: 'forged' } };
    c[1] = { ...edited, hash: hashEvent(edited) };
    expect(verifyChain(c)).toMatchObject({
      ok: false,
      brokenAt: 2,
      reason: expect.stringMatching(/prevHash/),
    });
  });

  it('breaks where an event was removed', () => {
    const c = chain();
    c.splice(1, 1);
    expect(verifyChain(c)).toMatchObject({
      ok: false,
      brokenAt: 1,
      reason: expect.stringMatching(/missing/),
    });
  });

  it('says an intact chain without an end is incomplete', () => {
    expect(verifyChain(chain(events.slice(0, 2)))).toMatchObject({ ok: true, complete: false });
  });
});

describe('sealEventToLine', () => {
  it('hashes exactly what hashInput defines, and its spool line parses back to the sealed event', () => {
    fc.assert(
      fc.property(
        fc.string(),
        fc.string(),
        fc.uint8Array({ maxLength: 200 }),
        fc.nat(),
        fc.boolean(),
        (session, message, bytes, elapsedMs, terminal) => {
          const event: SessionEvent = terminal
            ? { type: 'terminal', stream: 'stdout', data: Buffer.from(bytes).toString('base64'), elapsedMs }
            : { type: 'error', message, code: message.length > 3 ? undefined : message };
          const first = sealEventToLine(session, event, new Date(1_700_000_000_000 + elapsedMs), undefined);
          const next = sealEventToLine(session, event, new Date(1_800_000_000_000), first.event);
          for (const { event: sealed, line } of [first, next]) {
            expect(sealed.hash).toBe(hashEvent(sealed));
            expect(line.endsWith('\n')).toBe(true);
            expect(JSON.parse(line)).toEqual(JSON.parse(JSON.stringify(sealed)));
          }
          expect(verifyChain([first.event, next.event])).toMatchObject({ ok: true, events: 2 });
        },
      ),
    );
  });
});

describe('sealRedactedToLine', () => {
  it('seals the same line and hash as sealEventToLine over the redacted copy', () => {
    const secretish = fc.oneof(
      fc.string(),
      fc.constant("ALTER ROLE x PASSWORD 'hunter2'"),
      fc.constant('Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlc2ln'),
    );
    fc.assert(
      fc.property(
        fc.string(),
        fc.array(secretish, { maxLength: 3 }),
        secretish,
        fc.option(fc.nat(), { nil: undefined }),
        (session, texts, reason, status) => {
          const event: SessionEvent = {
            type: 'command',
            commands: texts.map((text) => ({ text, operations: ['http.get'], resources: [text] })),
            decision: {
              action: 'Allow',
              policy: undefined,
              rule: reason,
              reason,
              observed: [],
              grant: undefined,
            },
            ...(status !== undefined && { approval: String(status) }),
          };
          const time = new Date(1_700_000_000_000);
          const plain = JSON.parse(JSON.stringify(redactSecrets(event))) as SessionEvent;
          const first = sealEventToLine(session, plain, time, undefined);
          const fused = sealRedactedToLine(session, event, time, undefined);
          expect(fused.line).toBe(first.line);
          expect(fused.link).toEqual({
            seq: 0,
            hash: first.event.hash,
            sessionStarted: first.event.sessionStarted,
          });
          const next = sealEventToLine(session, plain, time, first.event);
          expect(sealRedactedToLine(session, event, time, fused.link).line).toBe(next.line);
          expect(verifyChain([first.event, next.event])).toMatchObject({ ok: true, events: 2 });
        },
      ),
    );
  });
});

describe('sealTerminalToLine', () => {
  it('seals the same hash and line as sealing the base64 terminal event (property)', () => {
    fc.assert(
      fc.property(
        fc.string(),
        fc.uint8Array({ maxLength: 300 }),
        fc.nat(),
        fc.constantFrom('stdin' as const, 'stdout' as const, 'stderr' as const),
        (session, bytes, elapsedMs, stream) => {
          const time = new Date(1_700_000_000_000 + elapsedMs);
          const chunk = { stream, bytes: Buffer.from(bytes), elapsedMs };
          const generic = sealEventToLine(
            session,
            { type: 'terminal', stream, data: chunk.bytes.toString('base64'), elapsedMs },
            time,
            undefined,
          );
          const fast = sealTerminalToLine(session, chunk, time, undefined);
          expect(fast.line).toBe(generic.line);
          expect(fast.link).toEqual({
            seq: 0,
            hash: generic.event.hash,
            sessionStarted: generic.event.sessionStarted,
          });
          const next = sealTerminalToLine(session, chunk, time, fast.link);
          const genericNext = sealEventToLine(
            session,
            { type: 'terminal', stream, data: chunk.bytes.toString('base64'), elapsedMs },
            time,
            generic.event,
          );
          expect(next.line).toBe(genericNext.line);
          expect(verifyChain([generic.event, genericNext.event])).toMatchObject({ ok: true, events: 2 });
        },
      ),
    );
  });

  it('refuses a stream that is not one of the three (a caller outside the type system)', () => {
    const chunk = { stream: 'stdout","x":"y' as 'stdout', bytes: Buffer.from('a'), elapsedMs: 0 };
    expect(() => sealTerminalToLine('s', chunk, new Date(0), undefined)).toThrow(/not a terminal stream/);
  });
});

describe('parseSpoolLine', () => {
  it("reads a sealed line back with the payload's canonical text, for any session id and payload (property)", () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), fc.string(), (session, message, code) => {
        // Strings that look like the line's own head must not confuse where the payload ends.
        const tricky = `${message},"prevHash":"${ZERO_HASH}","seq":1`;
        const { event, line } = sealEventToLine(
          session,
          { type: 'error', message: tricky, code },
          new Date(1_700_000_000_000),
          undefined,
        );
        const parsed = parseSpoolLine(line.trimEnd());
        expect(parsed?.payloadJson).toBe(canonicalJson(event.payload));
        expect({ ...parsed, payloadJson: undefined }).toEqual({ ...event, payloadJson: undefined });
      }),
    );
  });

  it('reads a line in another key order (an older sidecar wrote it) without the payload text', () => {
    const { event } = sealEventToLine('s', { type: 'session.end', reason: 'x' }, new Date(0), undefined);
    const parsed = parseSpoolLine(JSON.stringify(event));
    expect(parsed).toEqual(event);
    expect(parsed?.payloadJson).toBeUndefined();
  });

  it('gives undefined for a torn line', () => {
    const { line } = sealEventToLine('s', { type: 'session.end', reason: 'x' }, new Date(0), undefined);
    expect(parseSpoolLine(line.slice(0, line.length - 10))).toBeUndefined();
  });
});
