/**
 * The recording store for the Kubernetes benchmarks: a private PostgreSQL provisioned by the
 * operator's own code (test/integration/support/recording-store.ts), so the bench sidecar ships
 * its spool to a real store the way a sidecar in a pod does, and the benchmark can say how much
 * of what it relayed reached the store.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { startRecordingStore } from '../test/integration/support/recording-store.js';
import type { BenchSidecarConfig } from './kubernetes-sidecar.js';

export interface BenchRecordingStore {
  /** The bench sidecar's `recording` settings: a spool under `dir` and the store's sidecar role. */
  config(dir: string): BenchSidecarConfig['recording'];
  /**
   * Events and payload bytes the store holds (jsonb text, terminal output counted as the bytes the
   * `data` column keeps), e.g. after the sidecar drained.
   */
  stored(): Promise<{ events: number; payloadMiB: number }>;
  stop(): Promise<void>;
}

export async function startBenchRecordingStore(purpose: string): Promise<BenchRecordingStore> {
  const store = await startRecordingStore(purpose);
  return {
    config: (dir) => ({
      spoolDir: join(dir, 'spool'),
      store: { ...store.storeOptions(), caPem: store.caCertificatePem },
    }),
    stored: () =>
      store.asAdmin(async (client) => {
        const { rows } = await client.query<{ events: string; bytes: string | null }>(
          'SELECT count(*) AS events, sum(octet_length(payload::text) + coalesce(octet_length(data), 0)) AS bytes FROM recording.events',
        );
        const row = rows[0];
        return { events: Number(row?.events ?? 0), payloadMiB: Number(row?.bytes ?? 0) / 1024 / 1024 };
      }),
    stop: async () => {
      await store.server.stop();
      rmSync(store.server.dir, { recursive: true, force: true });
    },
  };
}
