/**
 * `make bench`: every registered benchmark, then one table of ratios (crewgate vs direct, vs the
 * named peer such as PgBouncer) with the machine's core count, also written as JSON under
 * bench/results/ (git-ignored) for comparison between runs. `BENCH_ONLY=policy,postgres` picks some.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, platform, release } from 'node:os';
import { join } from 'node:path';
import { repositoryRoot } from '../test/harness/paths.js';
import { approvalsBench } from './approvals.js';
import { httpBench } from './http.js';
import { kubernetesExecBench } from './kubernetes-exec.js';
import { kubernetesBench } from './kubernetes.js';
import { sshBench } from './ssh.js';
import { policyBench } from './policy.js';
import { postgresBench } from './postgres.js';
import { recordingBench } from './recording.js';
import type { Bench, BenchReport } from './result.js';
import { formatReport, reportFileName, reportJson } from './table.js';

/** Registering a benchmark is one line here (see bench/README.md for what it returns). */
const benches: Bench[] = [
  policyBench,
  postgresBench,
  approvalsBench,
  kubernetesBench,
  kubernetesExecBench,
  sshBench,
  httpBench,
  recordingBench,
];

const only = process.env.BENCH_ONLY?.split(',').filter(Boolean);
const unknown = only?.filter((name) => !benches.some((b) => b.name === name)) ?? [];
if (unknown.length > 0) {
  console.error(
    `unknown benchmark(s) ${unknown.join(', ')}; known: ${benches.map((b) => b.name).join(', ')}`,
  );
  process.exit(2);
}

const revision = () => {
  try {
    return execFileSync('git', ['describe', '--always', '--dirty'], { cwd: repositoryRoot })
      .toString()
      .trim();
  } catch {
    return 'unknown (not a git checkout)';
  }
};
const report: BenchReport = {
  startedAt: new Date().toISOString(),
  revision: revision(),
  finishedAt: '',
  machine: {
    cores: cpus().length,
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown CPU',
    node: process.version,
    platform: `${platform()} ${release()}`,
  },
  results: [],
  failures: [],
};
console.log(
  `crewgate benchmarks on ${report.machine.cores} cores (${report.machine.cpuModel}), Node ${report.machine.node}`,
);
console.log('building the sidecar as it ships (tsc -> dist/)');
execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: repositoryRoot, stdio: 'inherit' });

for (const bench of benches.filter((b) => !only || only.includes(b.name))) {
  console.log(`\n== ${bench.title}`);
  try {
    report.results.push(await bench.run((line) => console.log(`  ${line}`)));
  } catch (error) {
    // One broken benchmark still leaves the others' figures in the table, and the run fails.
    console.error(error);
    report.failures.push({
      benchmark: bench.name,
      error: error instanceof Error ? error.message : String(error),
    });
  }
}
report.finishedAt = new Date().toISOString();

console.log(`\n${formatReport(report)}`);
const outDir = join(repositoryRoot, 'bench/results');
mkdirSync(outDir, { recursive: true });
const file = join(outDir, reportFileName(report));
writeFileSync(file, reportJson(report));
console.log(`\nwritten to ${file.slice(repositoryRoot.length + 1)}`);
process.exit(report.failures.length > 0 ? 1 : 0);
