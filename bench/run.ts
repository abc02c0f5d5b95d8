/**
 * `make bench`: every benchmark, one table of ratios (sidecar vs direct, vs PgBouncer), written as
 * JSON under bench/results/ (git-ignored) for comparison between runs.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { repositoryRoot } from '../test/harness/paths.js';
import { benchHttp, type WrkResult } from './http.js';
import { benchPolicy } from './policy.js';
import { benchPostgres, type PgbenchResult } from './postgres.js';

const log = (line: string) => console.log(`  ${line}`);

console.log(
  `crewgate benchmarks on ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown CPU'}), Node ${process.version}`,
);
console.log('building the sidecar as it ships (tsc -> dist/)');
execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: repositoryRoot, stdio: 'inherit' });

const only = process.env.BENCH_ONLY?.split(',');
const results: Record<string, unknown> = {};

if (!only || only.includes('policy')) {
  console.log('\n== The policy core (pure functions, one core)');
  results.policy = await benchPolicy(log);
}

if (!only || only.includes('postgres')) {
  console.log('\n== PostgreSQL: pgbench direct, via PgBouncer (session mode), via the sidecar');
  const pg = await benchPostgres(log);
  results.postgres = pg;
  const key = (r: PgbenchResult) => `${r.script} -M ${r.mode} -c ${r.clients}`;
  const groups = new Map<string, PgbenchResult[]>();
  for (const r of pg) groups.set(key(r), [...(groups.get(key(r)) ?? []), r]);
  console.log(
    '\n| scenario | direct tps | pgbouncer tps | sidecar tps | sidecar/direct | sidecar/pgbouncer | CPU µs/tx pgbouncer | CPU µs/tx sidecar | masking CPU cost |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|');
  for (const [name, rows] of groups) {
    const by = (p: string) => rows.find((r) => r.path === p)!;
    const direct = by('direct');
    const bouncer = by('pgbouncer');
    const sidecar = by('sidecar');
    const masked = by('sidecar+masking');
    const ratio = (a: number, b: number) => (a / b).toFixed(2);
    console.log(
      `| ${name} | ${direct.tps.toFixed(0)} | ${bouncer.tps.toFixed(0)} | ${sidecar.tps.toFixed(0)} | ${ratio(sidecar.tps, direct.tps)} | ${ratio(sidecar.tps, bouncer.tps)} | ${bouncer.proxyCpuUsPerTx} | ${sidecar.proxyCpuUsPerTx} | ${(((masked.proxyCpuUsPerTx ?? 0) / (sidecar.proxyCpuUsPerTx ?? 1) - 1) * 100).toFixed(0)} % |`,
    );
  }
  console.log(
    '\nAdded latency at 1 client (ms over direct): ' +
      [...groups.entries()]
        .filter(([n]) => n.endsWith('-c 1'))
        .map(([n, rows]) => {
          const d = rows.find((r) => r.path === 'direct')!.latencyMs;
          return `${n}: pgbouncer +${(rows.find((r) => r.path === 'pgbouncer')!.latencyMs - d).toFixed(3)}, sidecar +${(rows.find((r) => r.path === 'sidecar')!.latencyMs - d).toFixed(3)}`;
        })
        .join('; '),
  );
}

if (!only || only.includes('http')) {
  console.log('\n== HTTP: wrk direct, via httpxy alone, via the sidecar, via the sidecar with masking');
  const http = await benchHttp(log);
  results.http = http;
  console.log(
    '\n| connections | direct req/s | httpxy req/s | sidecar req/s | sidecar/direct | sidecar/httpxy | masking req/s | masking/direct | CPU µs/req httpxy | CPU µs/req sidecar | CPU µs/req masking |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|---|---|');
  for (const c of [...new Set(http.map((r) => r.connections))]) {
    const by = (p: string) => http.find((r) => r.connections === c && r.path === p)!;
    const [direct, bare, sidecar, masked] = [
      by('direct'),
      by('httpxy'),
      by('sidecar'),
      by('sidecar+masking'),
    ];
    const ratio = (a: WrkResult, b: WrkResult) => (a.requestsPerSecond / b.requestsPerSecond).toFixed(2);
    console.log(
      `| ${c} | ${direct.requestsPerSecond.toFixed(0)} | ${bare.requestsPerSecond.toFixed(0)} | ${sidecar.requestsPerSecond.toFixed(0)} | ${ratio(sidecar, direct)} | ${ratio(sidecar, bare)} | ${masked.requestsPerSecond.toFixed(0)} | ${ratio(masked, direct)} | ${bare.proxyCpuUsPerRequest} | ${sidecar.proxyCpuUsPerRequest} | ${masked.proxyCpuUsPerRequest} |`,
    );
  }
}

const outDir = join(repositoryRoot, 'bench/results');
mkdirSync(outDir, { recursive: true });
const file = join(outDir, `${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
writeFileSync(file, JSON.stringify({ cores: cpus().length, node: process.version, results }, null, 2));
console.log(`\nwritten to ${file}`);
process.exit(0);
