import { describe, expect, it } from 'vitest';
import { policyRows } from './policy.js';
import { pgbenchRows } from './postgres-rows.js';
import type { PgbenchResult } from './postgres.js';
import type { BenchReport } from './result.js';
import { formatNumber, formatReport, ratio, reportFileName, reportJson } from './table.js';

const report = (over: Partial<BenchReport> = {}): BenchReport => ({
  startedAt: '2026-12-01T06:30:00.123Z',
  revision: 'f96d97a-dirty',
  finishedAt: '2026-12-01T06:31:00.000Z',
  machine: { cores: 2, cpuModel: 'AMD EPYC', node: 'v20.20.2', platform: 'linux 6.1' },
  results: [
    {
      benchmark: 'postgres',
      rows: [
        {
          metric: 'select-only -M prepared -c 8: throughput',
          unit: 'tps',
          higherIsBetter: true,
          crewgate: 3646.4,
          direct: 18553,
          peer: 8375,
          peerName: 'PgBouncer session mode',
        },
      ],
    },
    {
      benchmark: 'policy',
      rows: [{ metric: 'classify + evaluate: p99', unit: 'µs', higherIsBetter: false, crewgate: 74.1 }],
    },
  ],
  failures: [],
  ...over,
});

describe('the bench table', () => {
  it('heads the table with the core count and Node version, one row per figure of every benchmark', () => {
    const lines = formatReport(report()).split('\n');
    expect(lines[0]).toBe(
      'crewgate benchmarks: 2 cores (AMD EPYC), Node v20.20.2, linux 6.1, revision f96d97a-dirty, started 2026-12-01T06:30:00.123Z',
    );
    const table = lines.filter((l) => l.startsWith('|'));
    expect(table).toHaveLength(4);
    const cellsOf = (l: string) =>
      l
        .split('|')
        .slice(1, -1)
        .map((c) => c.trim());
    expect(cellsOf(table[0]!)).toEqual([
      'benchmark',
      'metric',
      'unit',
      'crewgate',
      'direct',
      'peer',
      'crewgate/direct',
      'crewgate/peer',
    ]);
    expect(cellsOf(table[2]!)).toEqual([
      'postgres',
      'select-only -M prepared -c 8: throughput',
      'tps ↑',
      '3,646',
      '18,553',
      '8,375 (PgBouncer session mode)',
      '0.20',
      '0.44',
    ]);
    expect(cellsOf(table[3]!)).toEqual([
      'policy',
      'classify + evaluate: p99',
      'µs ↓',
      '74.1',
      '–',
      '–',
      '–',
      '–',
    ]);
    // Padded: every line of the table is as wide as the header.
    expect(new Set(table.map((l) => l.length)).size).toBe(1);
  });

  it('names a benchmark that failed below the figures of those that ran', () => {
    const text = formatReport(report({ failures: [{ benchmark: 'ssh', error: 'sshd did not start' }] }));
    expect(text).toContain('| postgres');
    expect(text.trimEnd().endsWith('FAILED ssh: sshd did not start')).toBe(true);
    expect(formatReport(report({ results: [] }))).toContain('(no benchmark produced a figure)');
  });

  it('writes the whole report as JSON, under a file-system safe name from the start time', () => {
    expect(JSON.parse(reportJson(report()))).toEqual(report());
    expect(reportFileName(report())).toBe('2026-12-01T06-30-00-123Z.json');
  });

  it('formats figures by size and ratios to two decimals', () => {
    expect([12345.6, 150.4, 74.1, 2, 0.137, 0].map(formatNumber)).toEqual([
      '12,346',
      '150',
      '74.1',
      '2',
      '0.137',
      '0',
    ]);
    expect(formatNumber(undefined)).toBe('–');
    expect(ratio(1, 4)).toBe('0.25');
    expect(ratio(1, 0)).toBe('–');
    expect(ratio(1, undefined)).toBe('–');
  });
});

describe('benchmark rows', () => {
  const run = (path: string, tps: number, cpu?: number): PgbenchResult => ({
    path,
    script: 'select-only',
    mode: 'prepared',
    clients: 8,
    tps,
    latencyMs: 8000 / tps,
    transactions: tps * 10,
    ...(cpu !== undefined ? { proxyCpuUsPerTx: cpu } : {}),
  });

  it('compare the sidecar with direct and PgBouncer per pgbench scenario, masking on and off', () => {
    const rows = pgbenchRows([
      run('direct', 1000),
      run('pgbouncer', 800, 40),
      run('sidecar', 400, 160),
      run('sidecar+masking', 380, 170),
    ]);
    expect(rows.map((r) => r.metric)).toEqual([
      'select-only -M prepared -c 8: throughput',
      'select-only -M prepared -c 8: latency average',
      'select-only -M prepared -c 8: proxy CPU per transaction',
      'select-only -M prepared -c 8, masking on: throughput',
      'select-only -M prepared -c 8, masking on: latency average',
      'select-only -M prepared -c 8, masking on: proxy CPU per transaction',
    ]);
    expect(rows[0]).toEqual({
      metric: 'select-only -M prepared -c 8: throughput',
      unit: 'tps',
      higherIsBetter: true,
      crewgate: 400,
      direct: 1000,
      peer: 800,
      peerName: 'PgBouncer session mode',
    });
    // A direct connection has no proxy process: its CPU cell stays empty rather than zero.
    expect(rows[2]).toMatchObject({ crewgate: 160, peer: 40, higherIsBetter: false });
    expect(rows[2]!.direct).toBeUndefined();
    expect(rows[5]).toMatchObject({ crewgate: 170, peer: 40 });
  });

  it('carry the policy core figures without a comparison', () => {
    const stat = { statements: 1, p50Us: 25.5, p99Us: 74.1, meanUs: 30 };
    const rows = policyRows({
      classifyEvaluate: { typical: stat, mix: stat, cached: stat },
      masking: { rows: 1000, columns: 10, detectors: 3, rowsPerSecond: 97404 },
    });
    expect(rows).toHaveLength(5);
    expect(rows.every((r) => r.direct === undefined && r.peer === undefined)).toBe(true);
    expect(rows.at(-1)).toMatchObject({ unit: 'rows/s', higherIsBetter: true, crewgate: 97404 });
  });
});
