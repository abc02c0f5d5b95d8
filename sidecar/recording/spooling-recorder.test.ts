import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SidecarMetrics } from '../enforcement/metrics.js';
import type { EventStore } from './event-store.js';
import { verifyChain } from './hash-chain.js';
import { openRecording } from './index.js';
import type { RecordedEvent } from './recorded-event.js';

/** A store that can be switched off: the shipper's retries and the spool bound are what is tested. */
class SwitchableStore implements EventStore {
  up = true;
  readonly rows: RecordedEvent[] = [];
  async insert(events: RecordedEvent[]): Promise<void> {
    if (!this.up) throw new Error('store down');
    this.rows.push(...events);
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
