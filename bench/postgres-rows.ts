/** pgbench figures as rows of the `make bench` table. Pure, apart from the bench that measures them. */
import type { PgbenchResult } from './postgres.js';
import type { BenchRow } from './result.js';

const PEER = 'PgBouncer session mode';

/**
 * pgbench figures as table rows, per scenario: throughput and latency through the sidecar against
 * direct and PgBouncer, the same with masking on, and the proxy's CPU per transaction against
 * PgBouncer's (a direct connection has no proxy to measure).
 */
export function pgbenchRows(results: PgbenchResult[]): BenchRow[] {
  const scenarios = new Map<string, PgbenchResult[]>();
  for (const r of results) {
    const key = `${r.script} -M ${r.mode} -c ${r.clients}`;
    scenarios.set(key, [...(scenarios.get(key) ?? []), r]);
  }
  const rows: BenchRow[] = [];
  for (const [scenario, runs] of scenarios) {
    const by = (path: string) => runs.find((r) => r.path === path);
    const direct = by('direct');
    const peer = by('pgbouncer');
    for (const [label, sidecar] of [
      ['', by('sidecar')],
      [', masking on', by('sidecar+masking')],
    ] as const) {
      if (!sidecar) continue;
      const row = (
        metric: string,
        unit: string,
        higherIsBetter: boolean,
        pick: (r: PgbenchResult) => number | undefined,
      ): BenchRow | undefined => {
        const crewgate = pick(sidecar);
        if (crewgate === undefined) return undefined;
        // A direct connection has no proxy, so it has no proxy CPU figure either.
        const d = direct ? pick(direct) : undefined;
        const p = peer ? pick(peer) : undefined;
        return {
          metric: `${scenario}${label}: ${metric}`,
          unit,
          higherIsBetter,
          crewgate,
          ...(d !== undefined ? { direct: d } : {}),
          ...(p !== undefined ? { peer: p, peerName: PEER } : {}),
        };
      };
      rows.push(
        ...[
          row('throughput', 'tps', true, (r) => r.tps),
          row('latency average', 'ms', false, (r) => r.latencyMs),
          row('proxy CPU per transaction', 'µs/tx', false, (r) => r.proxyCpuUsPerTx),
        ].filter((r): r is BenchRow => r !== undefined),
      );
    }
  }
  return rows;
}
