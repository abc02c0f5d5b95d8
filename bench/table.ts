/**
 * The one table `make bench` prints, and the JSON it writes. Pure, so the formatting is tested
 * without running a benchmark (bench/table.test.ts).
 */
import type { BenchReport, BenchRow } from './result.js';

/** Figures as a reader compares them: whole numbers when large, three significant digits when small. */
export function formatNumber(value: number | undefined): string {
  if (value === undefined || !Number.isFinite(value)) return '–';
  const abs = Math.abs(value);
  if (abs >= 100) return Math.round(value).toLocaleString('en-US');
  if (abs >= 1) return value.toFixed(2).replace(/\.?0+$/, '');
  if (abs === 0) return '0';
  return value.toPrecision(3);
}

/** crewgate ÷ other, two decimals; `–` when there is nothing to divide by. */
export function ratio(crewgate: number, other: number | undefined): string {
  if (other === undefined || other === 0 || !Number.isFinite(other)) return '–';
  return (crewgate / other).toFixed(2);
}

const HEADERS = [
  'benchmark',
  'metric',
  'unit',
  'crewgate',
  'direct',
  'peer',
  'crewgate/direct',
  'crewgate/peer',
] as const;

function cells(benchmark: string, row: BenchRow): string[] {
  const peer = row.peer === undefined ? '–' : `${formatNumber(row.peer)} (${row.peerName ?? 'peer'})`;
  return [
    benchmark,
    row.metric,
    `${row.unit} ${row.higherIsBetter ? '↑' : '↓'}`,
    formatNumber(row.crewgate),
    formatNumber(row.direct),
    peer,
    ratio(row.crewgate, row.direct),
    ratio(row.crewgate, row.peer),
  ];
}

/** A markdown table with padded columns, so it reads in a terminal and pastes into a README. */
function markdownTable(rows: string[][]): string {
  const widths = HEADERS.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: readonly string[]) => `| ${r.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(HEADERS), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** The header, the table of every row of every benchmark that ran, and the failures. */
export function formatReport(report: BenchReport): string {
  const m = report.machine;
  const rows = report.results.flatMap((r) => r.rows.map((row) => cells(r.benchmark, row)));
  const out = [
    `crewgate benchmarks: ${m.cores} cores (${m.cpuModel}), Node ${m.node}, ${m.platform}, revision ${report.revision}, started ${report.startedAt}`,
    'ratios are crewgate ÷ direct and crewgate ÷ peer; ↑ higher is better (throughput), ↓ lower is better (latency, CPU)',
    '',
    rows.length > 0 ? markdownTable(rows) : '(no benchmark produced a figure)',
  ];
  for (const f of report.failures) out.push('', `FAILED ${f.benchmark}: ${f.error}`);
  return out.join('\n');
}

/** The JSON written to bench/results/<timestamp>.json. */
export const reportJson = (report: BenchReport) => `${JSON.stringify(report, null, 2)}\n`;

/** bench/results/ file name for a run: the start time with `:` and `.` made file-system safe. */
export const reportFileName = (report: BenchReport) => `${report.startedAt.replace(/[:.]/g, '-')}.json`;
