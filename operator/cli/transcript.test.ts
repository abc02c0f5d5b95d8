import { describe, expect, it } from 'vitest';
import type { SessionEvent } from '../../sidecar/enforcement/recorder.js';
import { sealEvent, type RecordedEvent } from '../../sidecar/recording/recorded-event.js';
import { asciicast, frames, play } from './terminal-playback.js';
import { parseTimeArgument } from './time-arguments.js';
import { transcript } from './transcript.js';

function seal(list: SessionEvent[]): RecordedEvent[] {
  const out: RecordedEvent[] = [];
  list.forEach((e, i) => out.push(sealEvent('s-1', e, new Date(Date.UTC(2025, 0, 1) + i * 250), out.at(-1))));
  return out;
}

describe('transcript', () => {
  it('shows commands with their decisions, results and errors', () => {
    const lines = transcript(
      seal([
        {
          type: 'session.start',
          identity: { subject: 'agent', groups: ['viewer'] },
          connection: 'shop-db',
          protocol: 'postgres',
          client: '127.0.0.1:5',
        },
        {
          type: 'command',
          commands: [{ text: 'SELECT * FROM customers', operations: ['select'], resources: [] }],
          decision: {
            action: 'Allow',
            policy: 'analysts',
            rule: 'reads',
            reason: '',
            observed: [{ action: 'Deny', policy: 'audit', rule: 'no-pii' }],
          },
        },
        { type: 'result', tag: 'SELECT 3', rows: 3, maskedFields: 6 },
        {
          type: 'command',
          commands: [{ text: 'DROP TABLE orders', operations: ['ddl.drop'], resources: [] }],
          decision: {
            action: 'Deny',
            policy: 'analysts',
            rule: 'no-drops',
            reason: 'rule no-drops denies',
            observed: [],
          },
        },
        { type: 'error', code: '42P01', message: 'nope' },
        { type: 'session.end', reason: 'client closed' },
      ]),
    ).join('\n');
    expect(lines).toMatch(/session s-1 on shop-db \(postgres\)/);
    expect(lines).toMatch(
      /\+0\.250s\] #1 ALLOW analysts\/reads \(would Deny: audit\/no-pii\)\n\s+> SELECT \* FROM customers\n\s+< SELECT 3, 3 rows, 6 fields masked/,
    );
    expect(lines).toMatch(
      /#3 DENY analysts\/no-drops\n\s+> DROP TABLE orders\n\s+refused: rule no-drops denies\n\s+! 42P01 nope/,
    );
    expect(lines).toMatch(/end: client closed\n\s+final hash [0-9a-f]{64}/);
  });
});

describe('terminal playback', () => {
  const events = seal([
    {
      type: 'session.start',
      identity: { subject: 'a', groups: [] },
      connection: 'host',
      protocol: 'ssh',
      client: 'x',
    },
    { type: 'resize', cols: 100, rows: 30, elapsedMs: 0 },
    { type: 'terminal', stream: 'stdout', data: Buffer.from('$ ').toString('base64'), elapsedMs: 10 },
    { type: 'terminal', stream: 'stdin', data: Buffer.from('ls\r').toString('base64'), elapsedMs: 500 },
    { type: 'terminal', stream: 'stdout', data: Buffer.from('a b\r\n').toString('base64'), elapsedMs: 1_510 },
  ]);

  it('waits the recorded gaps divided by the speed, writing output only', async () => {
    const waits: number[] = [];
    const written: string[] = [];
    await play(frames(events), (c) => written.push(c.toString()), {
      speed: 2,
      wait: true,
      sleep: async (ms) => void waits.push(ms),
    });
    expect(written).toEqual(['$ ', 'a b\r\n']);
    expect(waits).toEqual([5, 750]);
  });

  it('writes asciicast v2', () => {
    const lines = asciicast(events)
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as unknown);
    expect(lines[0]).toMatchObject({ version: 2, width: 100, height: 30 });
    expect(lines.slice(1)).toEqual([
      [0, 'r', '100x30'],
      [0.01, 'o', '$ '],
      [0.5, 'i', 'ls\r'],
      [1.51, 'o', 'a b\r\n'],
    ]);
  });
});

describe('time arguments', () => {
  it('takes ISO times and durations back from now', () => {
    const now = new Date('2025-01-02T00:00:00Z');
    expect(parseTimeArgument('2h', now).toISOString()).toBe('2025-01-01T22:00:00.000Z');
    expect(parseTimeArgument('2025-01-01T00:00:00Z', now).toISOString()).toBe('2025-01-01T00:00:00.000Z');
    expect(() => parseTimeArgument('yesterday', now)).toThrow(/not a time/);
  });
});

describe('playback of coalesced terminal output', () => {
  it('plays output the recorder merged at its first chunk’s time, and the later output at its own', async () => {
    const { mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { Spool } = await import('../../sidecar/recording/spool.js');
    const { SpoolingRecorder } = await import('../../sidecar/recording/spooling-recorder.js');
    const spool = new Spool({
      dir: mkdtempSync(join(tmpdir(), 'rec-')),
      fsync: { mode: 'interval', intervalMs: 50 },
    });
    const recorder = new SpoolingRecorder({
      spool,
      maxBytes: 1_000_000,
      coalesceTerminal: { windowMs: 20, maxBytes: 1024 },
    });
    const out = (text: string, elapsedMs: number) => ({
      stream: 'stdout' as const,
      bytes: Buffer.from(text),
      elapsedMs,
    });
    recorder.record('s', {
      type: 'session.start',
      identity: { subject: 'a', groups: [] },
      connection: 'h',
      protocol: 'ssh',
      client: 'x',
    });
    recorder.recordTerminal('s', out('$ ', 10));
    recorder.recordTerminal('s', out('ls', 12));
    await new Promise((r) => setTimeout(r, 60)); // past the window: the next output is an event of its own
    recorder.recordTerminal('s', out('\r\nfile\r\n', 700));
    recorder.record('s', { type: 'session.end', reason: 'done' });
    const { events } = await spool.read(1_000_000);
    await spool.close();
    const waits: number[] = [];
    const written: string[] = [];
    await play(frames(events), (c) => written.push(c.toString()), {
      speed: 1,
      wait: true,
      sleep: async (ms) => void waits.push(ms),
    });
    expect(written).toEqual(['$ ls', '\r\nfile\r\n']);
    expect(waits).toEqual([10, 690]);
  });
});
