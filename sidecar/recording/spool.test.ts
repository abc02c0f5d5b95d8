import { appendFileSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { verifyChain } from './hash-chain.js';
import {
  sealEvent,
  sealEventToLine,
  sealTerminalToLine,
  type ChainLink,
  type RecordedEvent,
} from './recorded-event.js';
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

  it('gives terminal output as the bytes recorded, next to other events, in one chain', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'spool-'));
    const spool = new Spool({ dir, fsync: { mode: 'always' } });
    const output = [randomBytes(64 * 1024), randomBytes(5), Buffer.from('ls -l\r\n')];
    const lines: string[] = [];
    let link: ChainLink | undefined;
    const start = sealEventToLine('t', { type: 'session.end', reason: 'not really' }, new Date(0), link);
    lines.push(start.line);
    link = start.event;
    for (const [i, bytes] of output.entries()) {
      const sealed = sealTerminalToLine('t', { stream: 'stdout', bytes, elapsedMs: i }, new Date(i), link);
      lines.push(sealed.line);
      link = sealed.link;
    }
    spool.appendBytes(Buffer.from(lines.join('')));
    const batch = await spool.read(1 << 20);
    expect(batch.events.map((e) => e.type)).toEqual(['session.end', 'terminal', 'terminal', 'terminal']);
    expect(batch.events[0]!.terminalOutput).toBeUndefined();
    expect(batch.events.slice(1).map((e) => e.terminalOutput?.bytes.equals(output[e.seq - 1]!))).toEqual([
      true,
      true,
      true,
    ]);
    expect(verifyChain(batch.events)).toMatchObject({ ok: true, events: 4 });
    await spool.close();
  });

  it('reuses its read buffer: a kept copy of a terminal event stays right, a kept event refuses its payload', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'spool-'));
    const spool = new Spool({ dir, fsync: { mode: 'always' } });
    const lines: string[] = [];
    let link: ChainLink | undefined;
    for (const [i, text] of ['first', 'second', 'other'].entries()) {
      const sealed = sealTerminalToLine(
        't',
        { stream: 'stdout', bytes: Buffer.from(text), elapsedMs: i },
        new Date(i),
        link,
      );
      lines.push(sealed.line);
      link = sealed.link;
    }
    spool.appendBytes(Buffer.from(lines.slice(0, 2).join('')));
    const a = await spool.read(1 << 20);
    const copy = { ...a.events[0]! };
    const kept = a.events[1]!;
    await spool.commit(a.next);
    spool.appendBytes(Buffer.from(lines.slice(2).join('')));
    const b = await spool.read(1 << 20);
    expect(b.events[0]!.terminalOutput?.bytes.toString()).toBe('other');
    expect(Buffer.from(String(copy.payload.data), 'base64').toString()).toBe('first');
    expect(() => kept.payload).toThrow(/read after the spool reused its read buffer/);
    await spool.close();
  });
});
