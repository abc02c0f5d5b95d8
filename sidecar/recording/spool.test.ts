import { appendFileSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sealEvent, type RecordedEvent } from './recorded-event.js';
import { Spool } from './spool.js';

const event = (seq: number): RecordedEvent => ({
  ...sealEvent('s', { type: 'error', message: `e${seq}` }, new Date(0), undefined),
  seq,
});

describe('Spool', () => {
  it('reads back what was appended, in order, and commits shipped positions', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'spool-'));
    const spool = new Spool({ dir, fsync: { mode: 'always' } });
    for (let i = 0; i < 5; i++) spool.append(event(i));
    expect(spool.depth).toBeGreaterThan(0);
    const batch = await spool.read(1 << 20);
    expect(batch.events.map((e) => e.seq)).toEqual([0, 1, 2, 3, 4]);
    await spool.commit(batch.next);
    expect(spool.depth).toBe(0);
    expect((await spool.read(1 << 20)).events).toEqual([]);
    await spool.close();
  });

  it('a reopened spool resumes after the committed position, skips a torn tail, and deletes shipped segments', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'spool-'));
    const first = new Spool({ dir, fsync: { mode: 'interval', intervalMs: 50 } });
    for (let i = 0; i < 4; i++) first.append(event(i));
    const b = await first.read(1 << 20);
    await first.commit({ segment: b.next.segment, offset: b.next.offset - (b.next.offset / 4) * 2 }); // two shipped
    await first.close();
    appendFileSync(
      join(
        dir,
        readdirSync(dir).find((f) => f.startsWith('segment-'))!,
      ),
      '{"torn":',
    );

    const second = new Spool({ dir, fsync: { mode: 'always' } });
    second.append(event(9));
    const seen: number[] = [];
    for (let i = 0; i < 5; i++) {
      const batch = await second.read(1 << 20);
      seen.push(...batch.events.map((e) => e.seq));
      await second.commit(batch.next);
    }
    expect(seen).toEqual([2, 3, 9]);
    expect(readdirSync(dir).filter((f) => f.startsWith('segment-'))).toHaveLength(1);
    expect(second.depth).toBe(0);
    await second.close();
  });

  it('rotates segments at the size bound and reads across them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'spool-'));
    const spool = new Spool({ dir, fsync: { mode: 'always' }, segmentBytes: 600 });
    for (let i = 0; i < 20; i++) spool.append(event(i));
    const seen: number[] = [];
    for (let i = 0; i < 40 && seen.length < 20; i++) {
      const batch = await spool.read(1 << 20);
      seen.push(...batch.events.map((e) => e.seq));
      await spool.commit(batch.next);
    }
    expect(seen).toEqual([...Array(20).keys()]);
    expect(readdirSync(dir).filter((f) => f.startsWith('segment-')).length).toBeLessThanOrEqual(2);
    await spool.close();
  });
});

describe('Spool: the in-memory tail', () => {
  const appendBatch = (spool: Spool, seqs: number[]) => {
    const events = seqs.map(event);
    spool.appendLines(events.map((e) => `${JSON.stringify(e)}\n`).join(''), events);
    return events;
  };

  it('ships every appended event once and in order, from memory where it can: across rotations, a shipper that falls behind, and a reopened spool', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'spool-'));
    // Segments of about seven events, a tail of about ten: rotations and overflows happen often.
    const options = { dir, fsync: { mode: 'always' as const }, segmentBytes: 2000, tailBytes: 3000 };
    let spool = new Spool(options);
    const appended = new Map<number, RecordedEvent>();
    const shipped: number[] = [];
    let fromMemory = 0;
    let seq = 0;
    let random = 7;
    const next = (n: number) => (random = (random * 48271) % 2147483647) % n;
    const drain = async (batches: number) => {
      for (let b = 0; b < batches; b++) {
        const batch = await spool.read(next(3) === 0 ? 300 : 1 << 20);
        for (const e of batch.events) {
          shipped.push(e.seq);
          if (e === appended.get(e.seq)) fromMemory += 1;
        }
        await spool.commit(batch.next);
      }
    };
    for (let round = 0; round < 60; round++) {
      const size = 1 + next(4);
      const seqs = Array.from({ length: size }, () => seq++);
      for (const e of appendBatch(spool, seqs)) appended.set(e.seq, e);
      await drain(next(3));
      if (round === 30) {
        // A restart: what is left is read from the files.
        await spool.close();
        spool = new Spool(options);
      }
    }
    await drain(200);
    expect(shipped).toEqual(Array.from({ length: seq }, (_, i) => i));
    expect(spool.depth).toBe(0);
    expect(fromMemory).toBeGreaterThan(seq / 4);
    expect(fromMemory).toBeLessThan(seq);
    await spool.close();
  });

  it('with the tail off, reads the same events and positions from the file', async () => {
    const withTail = new Spool({ dir: mkdtempSync(join(tmpdir(), 'spool-')), fsync: { mode: 'always' } });
    const without = new Spool({
      dir: mkdtempSync(join(tmpdir(), 'spool-')),
      fsync: { mode: 'always' },
      tailBytes: 0,
    });
    const appended = appendBatch(withTail, [0, 1, 2]);
    appendBatch(without, [0, 1, 2]);
    const a = await withTail.read(1 << 20);
    const b = await without.read(1 << 20);
    expect(a.events[0]).toBe(appended[0]); // the very objects appended: nothing was read or parsed
    expect(b.events[0]).not.toBe(appended[0]);
    expect(a.next).toEqual(b.next);
    expect(b.events).toEqual(appended);
    await withTail.close();
    await without.close();
  });
});
