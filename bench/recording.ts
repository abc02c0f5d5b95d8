/**
 * What recording a terminal stream costs the sidecar: the real `SpoolingRecorder` on a real spool
 * (fsync `interval`, the default) taking SSH/exec output in chunks of a typical size, measured as
 * MiB of terminal output per second and CPU seconds per GiB recorded. Coalescing of terminal chunks
 * (the default) is `crewgate`; the same recorder with coalescing off, one event per chunk as before,
 * is the peer. Nothing is shipped: the store's cost is the recording-load test's figure.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Spool } from '../sidecar/recording/spool.js';
import { SpoolingRecorder } from '../sidecar/recording/spooling-recorder.js';
import type { Bench, BenchRow } from './result.js';

const TOTAL_BYTES = 64 * 1024 * 1024;
/** Chunk sizes seen on the wire: an interactive shell's small writes, `cat` of a big file. */
const CHUNK_SIZES = [512, 4096, 32 * 1024];

export interface RecordingRun {
  chunkBytes: number;
  coalesce: boolean;
  mib: number;
  events: number;
  seconds: number;
  cpuSeconds: number;
  mibPerSecond: number;
  cpuSecondsPerGiB: number;
}

/**
 * One session of `chunks` chunks of text output of `chunkBytes` each, recorded as an SSH or exec
 * adapter records it (also bench/recording-ship.ts).
 */
export async function recordTextOutput(
  recorder: SpoolingRecorder,
  session: string,
  chunks: number,
  chunkBytes: number,
): Promise<void> {
  // Terminal output is mostly text; random bytes would only make base64 look worse than it is.
  const text = Buffer.alloc(chunkBytes, 'drwxr-xr-x 2 agent agent 4096 Jan  1 00:00 some-file.txt\r\n');
  recorder.record(session, {
    type: 'session.start',
    identity: { subject: 'agent', groups: [] },
    connection: 'bench',
    protocol: 'ssh',
    client: '127.0.0.1:1',
  });
  for (let i = 0; i < chunks; i++) {
    // The adapters hand over the bytes they read; the recorder copies, merges and encodes them.
    recorder.recordTerminal(session, { stream: 'stdout', bytes: text, elapsedMs: i >> 6 });
    // Socket reads arrive in bursts of a few per event-loop turn.
    if (i % 16 === 15) await new Promise((r) => setImmediate(r));
  }
  recorder.record(session, { type: 'session.end', reason: 'bench' });
}

async function measure(chunkBytes: number, coalesce: boolean): Promise<RecordingRun> {
  const dir = mkdtempSync(join(tmpdir(), 'crewgate-bench-rec-'));
  const spool = new Spool({ dir, fsync: { mode: 'interval', intervalMs: 100 } });
  const recorder = new SpoolingRecorder({
    spool,
    maxBytes: Number.MAX_SAFE_INTEGER,
    ...(coalesce ? {} : { coalesceTerminal: false }),
  });
  const chunks = Math.ceil(TOTAL_BYTES / chunkBytes);
  const startedCpu = process.cpuUsage();
  const started = process.hrtime.bigint();
  await recordTextOutput(recorder, 'bench-session', chunks, chunkBytes);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const cpu = process.cpuUsage(startedCpu);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const events = spool.depth > 0 ? (await countEvents(spool)) - 2 : 0;
  await spool.close();
  rmSync(dir, { recursive: true, force: true });
  const mib = (chunks * chunkBytes) / (1024 * 1024);
  return {
    chunkBytes,
    coalesce,
    mib,
    events,
    seconds,
    cpuSeconds,
    mibPerSecond: mib / seconds,
    cpuSecondsPerGiB: (cpuSeconds / mib) * 1024,
  };
}

async function countEvents(spool: Spool): Promise<number> {
  let n = 0;
  for (;;) {
    const batch = await spool.read(4 * 1024 * 1024);
    if (batch.events.length === 0) return n;
    n += batch.events.length;
    await spool.commit(batch.next);
  }
}

export const recordingBench: Bench = {
  name: 'recording',
  title: 'recording terminal streams: the real SpoolingRecorder, MiB/s and CPU s per GiB',
  async run(log) {
    const runs: RecordingRun[] = [];
    const rows: BenchRow[] = [];
    for (const chunkBytes of CHUNK_SIZES) {
      const per = await measure(chunkBytes, false);
      const coalesced = await measure(chunkBytes, true);
      runs.push(per, coalesced);
      for (const r of [per, coalesced])
        log(
          `${r.chunkBytes} B chunks, ${r.coalesce ? 'coalesced' : 'per chunk'}: ${r.mibPerSecond.toFixed(1)} MiB/s, ${r.cpuSecondsPerGiB.toFixed(2)} CPU s/GiB, ${r.events} terminal events for ${r.mib.toFixed(0)} MiB`,
        );
      const peerName = 'one event per chunk (coalescing off)';
      rows.push(
        {
          metric: `terminal output in ${chunkBytes} B chunks: throughput`,
          unit: 'MiB/s',
          higherIsBetter: true,
          crewgate: coalesced.mibPerSecond,
          peer: per.mibPerSecond,
          peerName,
        },
        {
          metric: `terminal output in ${chunkBytes} B chunks: CPU`,
          unit: 'CPU s/GiB',
          higherIsBetter: false,
          crewgate: coalesced.cpuSecondsPerGiB,
          peer: per.cpuSecondsPerGiB,
          peerName,
        },
      );
    }
    return { benchmark: 'recording', rows, raw: runs };
  },
};
