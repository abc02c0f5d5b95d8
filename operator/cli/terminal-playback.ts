/**
 * Terminal sessions (SSH, kubectl exec) played back with their timing, and the same events as an
 * asciicast v2 file for any asciinema player. `frames` is pure; `play` does the waiting.
 */
import type { RecordedEvent } from '../../sidecar/recording/recorded-event.js';

export interface Frame {
  /** Milliseconds from the session's start. */
  atMs: number;
  kind: 'o' | 'i' | 'r';
  /** Output bytes for 'o'/'i', `COLSxROWS` for 'r'. */
  data: Buffer | string;
}

export function isTerminalSession(events: RecordedEvent[]): boolean {
  return events.some((e) => e.type === 'terminal');
}

export function frames(events: RecordedEvent[]): Frame[] {
  const out: Frame[] = [];
  const first = events[0];
  const start = first ? Date.parse(first.time) : 0;
  for (const e of events) {
    const p = e.payload;
    const at = typeof p.elapsedMs === 'number' ? p.elapsedMs : Date.parse(e.time) - start;
    if (e.type === 'terminal')
      out.push({
        atMs: at,
        kind: p.stream === 'stdin' ? 'i' : 'o',
        data: Buffer.from(String(p.data), 'base64'),
      });
    else if (e.type === 'resize')
      out.push({ atMs: at, kind: 'r', data: `${String(p.cols)}x${String(p.rows)}` });
  }
  return out.sort((a, b) => a.atMs - b.atMs);
}

/**
 * Writes output frames at their recorded offsets divided by `speed` (`wait: false` writes them at
 * once); pauses longer than `maxPauseMs` are cut short, as asciinema's idle limit does.
 */
export async function play(
  all: Frame[],
  write: (chunk: Buffer) => void,
  options: { speed: number; wait: boolean; maxPauseMs?: number; sleep?: (ms: number) => Promise<void> },
): Promise<void> {
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  let previous = 0;
  for (const f of all) {
    if (f.kind !== 'o') continue;
    const gap = Math.min((f.atMs - previous) / options.speed, options.maxPauseMs ?? Infinity);
    previous = f.atMs;
    if (options.wait && gap > 0) await sleep(gap);
    write(f.data as Buffer);
  }
}

/** asciicast v2: a header line, then `[seconds, code, data]` per event. */
export function asciicast(
  events: RecordedEvent[],
  size: { cols: number; rows: number } = { cols: 80, rows: 24 },
): string {
  const first = events[0];
  const all = frames(events);
  const resize = all.find((f) => f.kind === 'r');
  const [cols, rows] = resize ? String(resize.data).split('x').map(Number) : [size.cols, size.rows];
  const header = {
    version: 2,
    width: cols,
    height: rows,
    timestamp: first ? Math.floor(Date.parse(first.time) / 1000) : 0,
  };
  const lines = [JSON.stringify(header)];
  for (const f of all)
    lines.push(
      JSON.stringify([f.atMs / 1000, f.kind, Buffer.isBuffer(f.data) ? f.data.toString('utf8') : f.data]),
    );
  return `${lines.join('\n')}\n`;
}
