/**
 * What every benchmark hands the runner: rows of one figure measured three ways (through crewgate,
 * directly, through a named peer such as PgBouncer), so `make bench` can print one table of ratios
 * across protocols and keep the same figures as JSON for comparing runs. A bench keeps its detailed
 * figures in `raw`; the rows are what a reader compares.
 */

/** One measured figure. `direct` and `peer` are absent where there is nothing to compare with. */
export interface BenchRow {
  /** What was measured, including the scenario: `select-only -M prepared -c 8: throughput`. */
  metric: string;
  /** `tps`, `ms`, `µs`, `µs/tx`, `rows/s`... */
  unit: string;
  /** true for throughput, false for latency and CPU: says which way a ratio above 1 points. */
  higherIsBetter: boolean;
  crewgate: number;
  direct?: number;
  peer?: number;
  /** Who `peer` is (`PgBouncer 1.18 session mode`); required when `peer` is given. */
  peerName?: string;
}

/** One benchmark's outcome. */
export interface BenchResult {
  benchmark: string;
  rows: BenchRow[];
  /** The bench's own detailed figures, written to the JSON file as they are. */
  raw?: unknown;
}

/** A registered benchmark: `bench/run.ts` lists these, one line each. */
export interface Bench {
  /** What BENCH_ONLY selects it by. */
  name: string;
  /** The heading printed before it runs. */
  title: string;
  run(log: (line: string) => void): Promise<BenchResult>;
}

/** The machine a run happened on, printed above the table and stored with it. */
export interface MachineInfo {
  cores: number;
  cpuModel: string;
  node: string;
  platform: string;
}

/** One `make bench` run: what bench/results/<timestamp>.json holds. */
export interface BenchReport {
  startedAt: string;
  /** `git describe --always --dirty` of the tree measured, so two runs can be told apart. */
  revision: string;
  finishedAt: string;
  machine: MachineInfo;
  results: BenchResult[];
  /** Benchmarks that threw, by name, with the error's message. */
  failures: { benchmark: string; error: string }[];
}
