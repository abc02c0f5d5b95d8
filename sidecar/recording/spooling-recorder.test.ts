import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SidecarMetrics } from '../enforcement/metrics.js';
import type { SessionEvent } from '../enforcement/recorder.js';
import type { EventStore } from './event-store.js';
import { verifyChain } from './hash-chain.js';
import { openRecording } from './index.js';
import type { RecordedEvent } from './recorded-event.js';
import { Spool } from './spool.js';
import { SpoolingRecorder } from './spooling-recorder.js';

/** A store that can be switched off: the shipper's retries and the spool bound are what is tested. */
class SwitchableStore implements EventStore {
  up = true;
  readonly rows: RecordedEvent[] = [];
  async insert(events: RecordedEvent[]): Promise<void> {
    if (!this.up) throw new Error('store down');
    this.rows.push(...events.map((e) => ({ ...e }))); // copies, as EventStore.insert says
  }
  async close(): Promise<void> {}
}

describe('SpoolingRecorder + Shipper', () => {
  it('ships every event in order; a down store fills the spool until commands are refused, then recovers', async () => {
    const store = new SwitchableStore();
    const metrics = new SidecarMetrics();
    let t = Date.UTC(2025, 0, 1);
    const r = openRecording({
      dir: mkdtempSync(join(tmpdir(), 'rec-')),
      fsync: { mode: 'always' },
      maxBytes: 2_000,
      store,
      metrics,
      now: () => new Date((t += 5)),
      backoff: { initialMs: 5, maxMs: 20 },
      lingerMs: 0, // ship at once: the store's failures while it is down are what is counted
    });
    r.recorder.record('a', {
      type: 'session.start',
      identity: { subject: 'x', groups: [] },
      connection: 'c',
      protocol: 'postgres',
      client: 'l',
    });
    await r.shipper.drained(2_000);
    store.up = false;
    let n = 0;
    while (r.recorder.accepting().ok) {
      r.recorder.record('a', { type: 'error', message: `event ${n++}` });
      await new Promise((res) => setTimeout(res, 1));
    }
    expect(r.recorder.accepting()).toMatchObject({ ok: false, reason: expect.stringMatching(/bound 2000/) });
    r.recorder.record('a', { type: 'session.end', reason: 'done' }); // open sessions still spool
    store.up = true;
    await r.shipper.drained(5_000);
    expect(r.recorder.accepting()).toEqual({ ok: true });
    expect(store.rows.map((e) => e.seq)).toEqual([...Array(n + 2).keys()]);
    expect(verifyChain(store.rows)).toMatchObject({ ok: true, complete: true });
    expect(
      (await metrics.registry.getSingleMetricAsString('crewgate_recording_store_errors_total'))
        .split('\n')
        .at(-1),
    ).not.toMatch(/ 0$/);
    await r.close();
  });
});

describe('terminal chunk coalescing', () => {
  const open = (coalesceTerminal?: { windowMs: number; maxBytes: number } | false) => {
    const store = new SwitchableStore();
    let t = Date.UTC(2025, 0, 1);
    const r = openRecording({
      dir: mkdtempSync(join(tmpdir(), 'rec-')),
      fsync: { mode: 'interval', intervalMs: 50 },
      maxBytes: 1_000_000,
      store,
      now: () => new Date((t += 1)),
      backoff: { initialMs: 5, maxMs: 20 },
      coalesceTerminal,
    });
    return { r, store };
  };
  const start: SessionEvent = {
    type: 'session.start',
    identity: { subject: 'x', groups: [] },
    connection: 'c',
    protocol: 'ssh',
    client: 'l',
  };
  const out = (text: string, elapsedMs: number, stream: 'stdout' | 'stdin' = 'stdout') =>
    ({ stream, bytes: Buffer.from(text), elapsedMs }) as const;

  it('merges consecutive chunks of one stream into one event at the earliest time; the bytes, order and chain are kept', async () => {
    const { r, store } = open();
    r.recorder.record('s', start);
    // Lengths not multiples of 3: the base64 of the merged event is of the joined bytes.
    r.recorder.recordTerminal('s', out('ab', 10));
    r.recorder.recordTerminal('s', out('cdef', 11));
    r.recorder.recordTerminal('s', out('g', 12));
    r.recorder.recordTerminal('s', out('ls\r', 13, 'stdin')); // another stream: the held output goes first
    r.recorder.record('s', { type: 'resize', cols: 80, rows: 24, elapsedMs: 14 });
    r.recorder.recordTerminal('s', out('h', 15));
    r.recorder.record('s', { type: 'session.end', reason: 'done' }); // flushes what is held
    await r.shipper.drained(2_000);
    const rows = store.rows.map((e) => ({
      type: e.type,
      stream: e.payload.stream,
      text: typeof e.payload.data === 'string' ? Buffer.from(e.payload.data, 'base64').toString() : undefined,
      elapsedMs: e.payload.elapsedMs,
    }));
    expect(rows).toEqual([
      { type: 'session.start', stream: undefined, text: undefined, elapsedMs: undefined },
      { type: 'terminal', stream: 'stdout', text: 'abcdefg', elapsedMs: 10 },
      { type: 'terminal', stream: 'stdin', text: 'ls\r', elapsedMs: 13 },
      { type: 'resize', stream: undefined, text: undefined, elapsedMs: 14 },
      { type: 'terminal', stream: 'stdout', text: 'h', elapsedMs: 15 },
      { type: 'session.end', stream: undefined, text: undefined, elapsedMs: undefined },
    ]);
    expect(verifyChain(store.rows)).toMatchObject({ ok: true, complete: true, events: 6 });
    await r.close();
  });

  it('keeps the bytes as they were when recorded, though the caller reuses its buffer', async () => {
    const { r, store } = open();
    r.recorder.record('s', start);
    const reused = Buffer.from('first');
    r.recorder.recordTerminal('s', { stream: 'stdout', bytes: reused, elapsedMs: 1 });
    reused.write('XXXXX');
    r.recorder.recordTerminal('s', { stream: 'stdout', bytes: Buffer.from('+next'), elapsedMs: 2 });
    r.recorder.record('s', { type: 'session.end', reason: 'done' });
    await r.shipper.drained(2_000);
    expect(Buffer.from(String(store.rows[1]?.payload.data), 'base64').toString()).toBe('first+next');
    await r.close();
  });

  it('spools held output once the window passes or the byte bound is reached, and per chunk when off', async () => {
    const { r, store } = open({ windowMs: 300, maxBytes: 16 });
    r.recorder.record('s', start);
    r.recorder.recordTerminal('s', out('abc', 1)); // 3 bytes
    await r.shipper.drained(2_000);
    expect(store.rows).toHaveLength(1); // held within the window
    await new Promise((res) => setTimeout(res, 400));
    await r.shipper.drained(2_000);
    expect(store.rows.map((e) => e.type)).toEqual(['session.start', 'terminal']);
    for (let i = 0; i < 6; i++) r.recorder.recordTerminal('s', out('abc', 2 + i)); // 18 bytes > 16
    r.recorder.recordTerminal('s', out('x'.repeat(30), 9)); // alone bigger than the bound: straight through
    await r.close(2_000);
    expect(store.rows.slice(2).map((e) => Buffer.from(String(e.payload.data), 'base64').toString())).toEqual([
      'abcabcabcabcabc',
      'abc',
      'x'.repeat(30),
    ]);

    const off = open(false);
    off.r.recorder.record('s', start);
    off.r.recorder.recordTerminal('s', out('a', 1));
    off.r.recorder.recordTerminal('s', out('b', 2));
    await off.r.shipper.drained(2_000);
    expect(off.store.rows.map((e) => e.type)).toEqual(['session.start', 'terminal', 'terminal']);
    await off.r.close();
  });

  it('reports each session end with its event count and final hash, and survives a reporter that throws', async () => {
    const summaries: unknown[] = [];
    const store = new SwitchableStore();
    const r = openRecording({
      dir: mkdtempSync(join(tmpdir(), 'rec-')),
      fsync: { mode: 'interval', intervalMs: 50 },
      maxBytes: 1_000_000,
      store,
      onSessionEnd: (s) => {
        summaries.push(s);
        throw new Error('reporter broken');
      },
    });
    r.recorder.record('s', start);
    r.recorder.record('s', { type: 'session.end', reason: 'done' });
    await r.shipper.drained(2_000);
    expect(summaries).toEqual([{ session: 's', events: 2, finalHash: store.rows[1]!.hash }]);
    await r.close();
  });
});

/** A spool in a fresh directory that notes `measure` of every write the recorder makes. */
function spoolSeeingWrites(measure: (bytes: Buffer) => number) {
  const dir = mkdtempSync(join(tmpdir(), 'rec-'));
  const spool = new Spool({ dir, fsync: { mode: 'interval', intervalMs: 50 } });
  const writes: number[] = [];
  const appendBytes = spool.appendBytes.bind(spool);
  spool.appendBytes = (bytes: Buffer) => {
    writes.push(measure(bytes));
    return appendBytes(bytes);
  };
  return { dir, spool, writes };
}

describe('one spool write per event-loop turn', () => {
  const spooledLines = (dir: string): { type: string; seq: number }[] =>
    readdirSync(dir)
      .filter((f) => f.startsWith('segment-'))
      .sort()
      .flatMap((f) => readFileSync(join(dir, f), 'utf8').split('\n').filter(Boolean))
      .map((l) => JSON.parse(l) as { type: string; seq: number });

  it('has a command in the spool when record returns, with every event sealed before it; results follow by the end of the turn', async () => {
    const { dir, spool, writes } = spoolSeeingWrites(
      (bytes) => bytes.toString('utf8').split('\n').length - 1,
    );
    const recorder = new SpoolingRecorder({ spool, maxBytes: 1_000_000 });
    recorder.record('s', {
      type: 'session.start',
      identity: { subject: 'x', groups: [] },
      connection: 'c',
      protocol: 'http',
      client: 'l',
    });
    expect(spooledLines(dir)).toEqual([]); // not a command: written with the next one
    const command: SessionEvent = {
      type: 'command',
      commands: [{ text: 'GET /a', operations: ['read'], resources: [] }],
      decision: { action: 'Allow', reason: 'ok', observed: [] },
    };
    recorder.record('s', command);
    expect(spooledLines(dir).map((e) => [e.type, e.seq])).toEqual([
      ['session.start', 0],
      ['command', 1],
    ]);
    // Results of several requests in one turn: one write at its end.
    recorder.record('s', { type: 'result', tag: 'HTTP 200' });
    recorder.record('t', { type: 'error', message: 'refused' });
    recorder.record('s', { type: 'result', tag: 'HTTP 204' });
    expect(spooledLines(dir)).toHaveLength(2);
    await new Promise((resolve) => setImmediate(resolve));
    expect(spooledLines(dir).map((e) => [e.type, e.seq])).toEqual([
      ['session.start', 0],
      ['command', 1],
      ['result', 2],
      ['error', 0],
      ['result', 3],
    ]);
    expect(writes).toEqual([2, 3]);
    recorder.record('s', { type: 'result', tag: 'HTTP 200' });
    recorder.record('s', { type: 'session.end', reason: 'done' }); // an end is written at once
    expect(
      spooledLines(dir)
        .map((e) => e.type)
        .slice(-2),
    ).toEqual(['result', 'session.end']);
    expect(writes).toEqual([2, 3, 2]);
    await spool.close();
  });

  it('writes a burst of output within the turn once 1 MiB is queued, every byte and the chain kept', async () => {
    const { dir, spool, writes } = spoolSeeingWrites((bytes) => bytes.length);
    const recorder = new SpoolingRecorder({ spool, maxBytes: 100_000_000 });
    // 40 chunks of 64 KiB in one turn, as a relay reading a fast stream: 3.4 MiB of lines.
    const chunks = Array.from({ length: 40 }, (_, i) => Buffer.alloc(64 * 1024, i));
    for (const [i, bytes] of chunks.entries())
      recorder.recordTerminal('s', { stream: 'stdout', bytes, elapsedMs: i });
    expect(writes.length).toBe(3); // within the turn, each once 1 MiB was queued
    expect(writes.every((w) => w >= 1024 * 1024 && w < 1024 * 1024 + 100 * 1024)).toBe(true);
    await new Promise((resolve) => setImmediate(resolve));
    expect(writes.length).toBe(4); // the rest at the end of the turn
    const lines = spooledLines(dir) as unknown as { seq: number; payload: { data: string } }[];
    expect(lines.map((l) => l.seq)).toEqual(chunks.map((_, i) => i));
    const recorded = Buffer.concat(lines.map((l) => Buffer.from(l.payload.data, 'base64')));
    expect(recorded.equals(Buffer.concat(chunks))).toBe(true);
    await spool.close();
  });
});
