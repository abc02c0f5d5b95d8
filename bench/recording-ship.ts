/**
 * What shipping recorded terminal output costs, the shipper and the store apart from the relay:
 * `npx tsx bench/recording-ship.ts` records BENCH_SHIP_MIB (default 256) MiB of text output in
 * 32 KiB chunks with the real SpoolingRecorder into a real spool, then ships it with the real
 * Shipper and PgEventStore to a recording store of its own (a private PostgreSQL provisioned by
 * the operator's code, on loopback), and prints the sidecar's CPU and the store's CPU from the
 * shipper's start until the spool is drained. A diagnosis, not part of `make bench`: the figures
 * in docs/recording.md ("Shipping") come from it. Note the load average it prints next to them.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { PgEventStore } from '../sidecar/recording/event-store.js';
import { Shipper } from '../sidecar/recording/shipper.js';
import { Spool } from '../sidecar/recording/spool.js';
import { SpoolingRecorder } from '../sidecar/recording/spooling-recorder.js';
import { startRecordingStore } from '../test/integration/support/recording-store.js';
import { processTreeCpuSeconds } from './proc-cpu.js';
import { recordTextOutput } from './recording.js';

const TOTAL = Number(process.env.BENCH_SHIP_MIB ?? 256) * 1024 * 1024;
const CHUNK = 32 * 1024;

const store = await startRecordingStore('bench-ship');
const storePid = Number(
  readFileSync(join(store.server.info.dataDir, 'postmaster.pid'), 'utf8').split('\n')[0],
);
const dir = mkdtempSync(join(tmpdir(), 'crewgate-bench-ship-'));
try {
  const spool = new Spool({ dir, fsync: { mode: 'interval', intervalMs: 100 } });
  const recorder = new SpoolingRecorder({ spool, maxBytes: Number.MAX_SAFE_INTEGER });
  await recordTextOutput(recorder, 'bench-ship', TOTAL / CHUNK, CHUNK);
  await new Promise((r) => setTimeout(r, 200));

  const pg = new PgEventStore(store.storeOptions());
  const shipper = new Shipper({ spool, store: pg });
  const cpu = process.cpuUsage();
  const storeCpu = processTreeCpuSeconds(storePid);
  const started = performance.now();
  shipper.start();
  await shipper.drained(600_000);
  const wall = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  // Before the store's backend goes with the connection (processTreeCpuSeconds counts live ones).
  const storeUsed = processTreeCpuSeconds(storePid) - storeCpu;
  console.log(
    `shipped ${TOTAL / 1048576} MiB of terminal output (load ${loadavg()
      .map((l) => l.toFixed(2))
      .join(
        ' ',
      )}): sidecar CPU ${((used.user + used.system) / 1e6).toFixed(2)} s, store CPU ${storeUsed.toFixed(2)} s, wall ${wall.toFixed(2)} s`,
  );
  await shipper.stop();
  await pg.close();
  await spool.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
  await store.server.stop();
  rmSync(store.server.dir, { recursive: true, force: true });
}
