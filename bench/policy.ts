/**
 * The pure core's own speed: classify + evaluate one typical statement (target p99 under 100 µs),
 * and masking a 1,000-row, 10-column result with 3 detectors (rows per second).
 */
import { initSqlClassifier } from '../sidecar/classify/sql/index.js';
import { compileBundle } from '../sidecar/enforcement/policy-bundle.js';
import { maskerFor } from '../sidecar/masking/index.js';
import { evaluateAll } from '../sidecar/policy/index.js';
import { ClassificationCache, SqlCommands } from '../sidecar/postgres/sql-commands.js';
import { loadManifests } from '../test/integration/support/postgres-proxy.js';
import type { Bench, BenchRow } from './result.js';

export interface PolicyBenchResult {
  classifyEvaluate: Record<
    'typical' | 'mix' | 'cached',
    { statements: number; p50Us: number; p99Us: number; meanUs: number }
  >;
  masking: { rows: number; columns: number; detectors: number; rowsPerSecond: number };
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;

export async function benchPolicy(log: (line: string) => void): Promise<PolicyBenchResult> {
  await initSqlClassifier();
  const bundle = compileBundle(loadManifests('test/integration/fixtures/shop-policies.yaml'));
  const identity = { subject: 'agent-analyst', groups: ['crewai-viewer'] };
  const session = {
    connection: 'shop-db',
    protocol: 'postgres' as const,
    identity,
    attributes: { database: 'shop' },
  };
  const statements = [
    'SELECT id, full_name, email FROM customers WHERE id = $1',
    'SELECT o.id, o.amount FROM orders o JOIN customers c ON c.id = o.customer_id WHERE c.email = $1 ORDER BY o.created_at DESC LIMIT 20',
    "UPDATE orders SET status = 'shipped' WHERE id = $1",
    'DELETE FROM orders WHERE id = $1',
    'DROP TABLE orders',
  ];
  const now = new Date();
  /** Classify + evaluate `texts` round-robin; a fresh SqlCommands per statement unless `cache` is given. */
  const measure = (texts: string[], cache?: ClassificationCache) => {
    const timings: number[] = [];
    for (let round = 0; round < 30_000; round++) {
      const text = texts[round % texts.length]!;
      const started = process.hrtime.bigint();
      const commands = new SqlCommands(session, cache).fromText(text);
      evaluateAll(bundle.policies, commands, bundle.grants, now);
      const elapsed = Number(process.hrtime.bigint() - started) / 1000;
      if (round >= 5_000) timings.push(elapsed);
    }
    timings.sort((a, b) => a - b);
    return {
      statements: timings.length,
      p50Us: Math.round(percentile(timings, 0.5) * 10) / 10,
      p99Us: Math.round(percentile(timings, 0.99) * 10) / 10,
      meanUs: Math.round((timings.reduce((a, b) => a + b, 0) / timings.length) * 10) / 10,
    };
  };
  const typical = measure([statements[0]!]);
  const mix = measure(statements);
  const cached = measure(statements, new ClassificationCache());
  log(
    `classify + evaluate, typical SELECT, parsed every time: p50 ${typical.p50Us} µs, p99 ${typical.p99Us} µs`,
  );
  log(
    `classify + evaluate, mix of 5 (SELECT, JOIN, UPDATE, DELETE, DROP), parsed every time: p50 ${mix.p50Us} µs, p99 ${mix.p99Us} µs`,
  );
  log(
    `classify + evaluate, the same mix from the listener's classification cache: p50 ${cached.p50Us} µs, p99 ${cached.p99Us} µs`,
  );
  const classifyEvaluate = { typical, mix, cached };

  const masker = maskerFor([...bundle.masking.values()], identity);
  const columns = [
    'id',
    'full_name',
    'email',
    'phone',
    'card_number',
    'ssn',
    'notes',
    'city',
    'created_at',
    'status',
  ].map((name) => ({ name, table: 'public.customers' }));
  const rows = Array.from({ length: 1_000 }, (_, i) => [
    String(i),
    `Customer ${i}`,
    `customer${i}@example.com`,
    `+1 202 555 ${String(1000 + (i % 9000)).padStart(4, '0')}`,
    i % 2 ? '4111 1111 1111 1111' : '5555-5555-5555-4444',
    '078-05-1120',
    i % 3 ? 'no notes' : 'paid with 4012888888881881, mail me at x@example.org',
    'Springfield',
    '2026-11-23 10:00:00+00',
    'open',
  ]);
  const iterations = 20;
  const started = performance.now();
  let masked = 0;
  for (let n = 0; n < iterations; n++)
    for (const row of rows) masked += masker.maskRow(columns, row).maskedFields;
  const seconds = (performance.now() - started) / 1000;
  const masking = {
    rows: rows.length,
    columns: columns.length,
    detectors: 3,
    rowsPerSecond: Math.round((rows.length * iterations) / seconds),
  };
  log(
    `masking ${rows.length} rows x ${columns.length} columns, 2 column selectors + 3 detectors: ${masking.rowsPerSecond} rows/s (${masked / iterations} fields masked per pass)`,
  );
  return { classifyEvaluate, masking };
}

/** The policy core has no direct path or peer to compare with: its rows carry crewgate's figures only. */
export function policyRows(r: PolicyBenchResult): BenchRow[] {
  const latency = (metric: string, us: number): BenchRow => ({
    metric,
    unit: 'µs',
    higherIsBetter: false,
    crewgate: us,
  });
  return [
    latency('classify + evaluate, typical SELECT: p50', r.classifyEvaluate.typical.p50Us),
    latency('classify + evaluate, typical SELECT: p99 (target < 100)', r.classifyEvaluate.typical.p99Us),
    latency('classify + evaluate, 5-statement mix: p99', r.classifyEvaluate.mix.p99Us),
    latency('classify + evaluate, mix from the classification cache: p99', r.classifyEvaluate.cached.p99Us),
    {
      metric: `masking ${r.masking.rows} rows x ${r.masking.columns} columns, ${r.masking.detectors} detectors`,
      unit: 'rows/s',
      higherIsBetter: true,
      crewgate: r.masking.rowsPerSecond,
    },
  ];
}

export const policyBench: Bench = {
  name: 'policy',
  title: 'The policy core (pure functions, one core)',
  run: async (log) => {
    const raw = await benchPolicy(log);
    return { benchmark: 'policy', rows: policyRows(raw), raw };
  },
};
