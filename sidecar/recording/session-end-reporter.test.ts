import { describe, expect, it } from 'vitest';
import { SidecarMetrics } from '../enforcement/metrics.js';
import { SessionEndReporter } from './session-end-reporter.js';

const summary = (n: number) => ({ session: `s${n}`, events: n + 1, finalHash: 'f'.repeat(64) });

describe('SessionEndReporter', () => {
  it('returns at once, retries a failing control plane with a bound, then delivers in order', async () => {
    const sent: string[] = [];
    let failures = 2;
    const reporter = new SessionEndReporter({
      send: async (s) => {
        if (failures-- > 0) throw new Error('control plane down');
        sent.push(s.session);
      },
      initialDelayMs: 5,
    });
    const before = Date.now();
    reporter.report(summary(1));
    reporter.report(summary(2));
    expect(Date.now() - before).toBeLessThan(5); // off the hot path
    await reporter.stop(2_000);
    expect(sent).toEqual(['s1', 's2']);
    expect(reporter.delivered).toBe(2);
  });

  it('gives up on a summary after its attempts, never throws, and drops the oldest when the queue is full', async () => {
    let tries = 0;
    const metrics = new SidecarMetrics();
    const reporter = new SessionEndReporter({
      metrics,
      send: async () => {
        tries++;
        throw new Error('no');
      },
      attempts: 3,
      initialDelayMs: 1,
      maxQueued: 2,
    });
    reporter.report(summary(1));
    reporter.report(summary(2));
    reporter.report(summary(3)); // s1 is in flight, s2 and s3 wait: full
    reporter.report(summary(4)); // s2 is dropped
    await reporter.stop(2_000);
    expect(reporter.delivered).toBe(0);
    expect(reporter.dropped).toBe(4);
    expect(tries).toBe(3 * 3); // s1, s3, s4: three tries each
    expect(
      await metrics.registry.getSingleMetricAsString('crewgate_recording_session_end_reports_total'),
    ).toMatch(/outcome="dropped"} 4/);
  });
});
