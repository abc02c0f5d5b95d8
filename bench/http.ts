/**
 * wrk against a small JSON API directly, through the sidecar's HTTP adapter (every request
 * classified, judged, forwarded with the injected credential and recorded), and through it with
 * masking on (the response buffered, parsed, masked by JSON path and the card detector,
 * re-serialised); httpxy alone, with no policy, is the peer. Upstream, proxies and wrk are
 * separate processes on loopback.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCertificateAuthority } from '../operator/pki/certificates.js';
import { startOidcProvider } from '../test/harness/oidc.js';
import { oidcToken } from '../test/harness/oidc-token.js';
import { repositoryRoot } from '../test/harness/paths.js';
import { runCommand } from '../test/harness/run.js';
import { startRecordingStore } from '../test/integration/support/recording-store.js';
import type { SidecarSettings } from './http-processes.js';
import { waitForReadyPort } from './child-ready.js';
import { cpuSeconds } from './proc-cpu.js';
import type { Bench, BenchRow } from './result.js';

export interface WrkResult {
  path: string;
  connections: number;
  requestsPerSecond: number;
  latencyMs: number;
  requests: number;
  proxyCpuUsPerRequest?: number;
}

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);

function parseWrk(stdout: string): { requestsPerSecond: number; latencyMs: number; requests: number } {
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1]);
  const requests = Number(/(\d+) requests in/.exec(stdout)?.[1]);
  const latency = /Latency\s+([\d.]+)(us|ms|s)/.exec(stdout);
  if (!Number.isFinite(rps) || !latency) throw new Error(`could not read wrk output:\n${stdout}`);
  if (/Non-2xx or 3xx responses/.test(stdout)) throw new Error(`wrk saw error responses:\n${stdout}`);
  const scale = latency[2] === 'us' ? 0.001 : latency[2] === 's' ? 1000 : 1;
  return { requestsPerSecond: rps, latencyMs: Number(latency[1]) * scale, requests };
}

/** BENCH_HTTP_RECORDING: `shipped` (the default, the real thing), `spool-only` or `off` (diagnosis). */
function recordingSetting(): SidecarSettings['recording'] {
  const value = process.env.BENCH_HTTP_RECORDING ?? 'shipped';
  if (value === 'shipped' || value === 'off') return value;
  if (value === 'spool-only') return 'spool only';
  throw new Error(`BENCH_HTTP_RECORDING must be shipped, spool-only or off, not ${value}`);
}

export async function benchHttp(log: (line: string) => void): Promise<WrkResult[]> {
  const dir = mkdtempSync(join(tmpdir(), 'crewgate-bench-http-'));
  const ca = await createCertificateAuthority('crewgate-bench-ca');
  const caFile = join(dir, 'ca.crt');
  writeFileSync(caFile, ca.certificatePem);
  const oidc = await startOidcProvider(ca, caFile);
  // The recording that ships: a spool shipped to a real store (a PostgreSQL of the bench's own).
  const store = await startRecordingStore('bench-http-store');
  const children: ChildProcess[] = [];
  // BENCH_NODE_ARGS (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`) profiles the proxies (the sidecar
  // and httpxy alone, so the two profiles can be compared) under load.
  const nodeArgs = process.env.BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  // BENCH_HTTP_PATHS=httpxy,sidecar and BENCH_HTTP_CONNECTIONS=16 narrow a run while profiling.
  const onlyPaths = process.env.BENCH_HTTP_PATHS?.split(',').filter(Boolean);
  const connectionCounts = (process.env.BENCH_HTTP_CONNECTIONS ?? '16,1').split(',').map(Number);
  // BENCH_HTTP_CONNECTION_CLOSE=1: every request on a connection of its own, as an agent without
  // keep-alive (curl per call) sends them: each pays the TCP handshake, a session, the token check.
  const close = process.env.BENCH_HTTP_CONNECTION_CLOSE === '1' ? ['-H', 'Connection: close'] : [];
  const start = async (args: string[], what: string) => {
    const child = spawn(
      process.execPath,
      [
        ...(args[0] === 'sidecar' || args[0] === 'httpxy' ? nodeArgs : []),
        '--import',
        'tsx',
        join(repositoryRoot, 'bench/http-processes.ts'),
        ...args,
      ],
      {
        cwd: repositoryRoot,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    children.push(child);
    return { port: await waitForReadyPort(child, what), pid: child.pid! };
  };
  try {
    const upstream = await start(['upstream'], 'upstream');
    const settings: SidecarSettings = {
      upstream: `http://127.0.0.1:${upstream.port}`,
      issuer: oidc.info.issuer,
      audience: oidc.info.audience,
      caFile,
      spoolDir: join(dir, 'spool'),
      store: store.storeOptions(),
      recording: recordingSetting(),
    };
    if (settings.recording !== 'shipped')
      log(`BENCH_HTTP_RECORDING=${settings.recording}: a diagnosis, not what the sidecar ships`);
    const sidecar = await start(['sidecar', JSON.stringify(settings)], 'sidecar');
    const bare = await start(['httpxy', settings.upstream], 'httpxy');
    const [operator, analyst] = await Promise.all([
      oidcToken(oidc.info, 'agent-operator'),
      oidcToken(oidc.info, 'agent-analyst'),
    ]);
    const paths = [
      { path: 'direct', port: upstream.port, headers: [] as string[] },
      { path: 'httpxy', port: bare.port, headers: [] as string[], pid: bare.pid },
      {
        path: 'sidecar',
        port: sidecar.port,
        headers: ['-H', `Authorization: Bearer ${operator}`],
        pid: sidecar.pid,
      },
      {
        path: 'sidecar+masking',
        port: sidecar.port,
        headers: ['-H', `Authorization: Bearer ${analyst}`],
        pid: sidecar.pid,
      },
    ];
    const results: WrkResult[] = [];
    if (nodeArgs.length > 0)
      log(`node ${nodeArgs.join(' ')}: sidecar pid ${sidecar.pid}, httpxy pid ${bare.pid}`);
    for (const connections of connectionCounts) {
      for (const p of paths) {
        if (onlyPaths && !onlyPaths.includes(p.path)) continue;
        const url = `http://127.0.0.1:${p.port}/v1/customers`;
        const headers = [...p.headers, ...close];
        // A short warm-up so the JIT and keep-alive pools are in their steady state.
        await runCommand('wrk', ['-t1', '-c2', '-d1s', ...headers, url]);
        const before = p.pid ? cpuSeconds(p.pid) : 0;
        const run = await runCommand(
          'wrk',
          [
            `-t${Math.min(connections, 2)}`,
            `-c${connections}`,
            `-d${SECONDS}s`,
            '--latency',
            ...headers,
            url,
          ],
          { timeoutMs: (SECONDS + 30) * 1000 },
        );
        if (run.code !== 0) throw new Error(`wrk via ${p.path} failed: ${run.stderr}`);
        const parsed = parseWrk(run.stdout);
        const cpu = p.pid ? cpuSeconds(p.pid) - before : undefined;
        const result: WrkResult = {
          path: p.path,
          connections,
          ...parsed,
          ...(cpu !== undefined && {
            proxyCpuUsPerRequest: Math.round((cpu / parsed.requests) * 1e6 * 10) / 10,
          }),
        };
        results.push(result);
        log(
          `GET /v1/customers -c ${connections}${close.length > 0 ? ' (Connection: close)' : ''} via ${p.path}: ${parsed.requestsPerSecond.toFixed(0)} req/s, ${parsed.latencyMs.toFixed(3)} ms` +
            (result.proxyCpuUsPerRequest !== undefined
              ? `, proxy CPU ${result.proxyCpuUsPerRequest} µs/req`
              : ''),
        );
      }
    }
    return results;
  } finally {
    await Promise.all(
      children.map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.exitCode !== null) return resolve();
            const timer = setTimeout(() => c.kill('SIGKILL'), 5000);
            c.once('exit', () => {
              clearTimeout(timer);
              resolve();
            });
            c.kill('SIGTERM');
          }),
      ),
    );
    const stored = await store
      .asAdmin((c) => c.query<{ n: string }>('SELECT count(*) AS n FROM recording.events'))
      .then((r) => Number(r.rows[0]?.n))
      .catch(() => undefined);
    if (stored !== undefined) log(`recording store holds ${stored} events`);
    await store.server.stop();
    await oidc.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The table's rows: requests per second through the sidecar against direct, with httpxy alone as the peer. */
export function httpRows(raw: WrkResult[]): BenchRow[] {
  return [...new Set(raw.map((r) => r.connections))].flatMap((connections) => {
    const by = (path: string) => raw.find((r) => r.connections === connections && r.path === path);
    const direct = by('direct');
    const bare = by('httpxy');
    return (['sidecar', 'sidecar+masking'] as const).flatMap((path) => {
      const through = by(path);
      if (!through) return [];
      return [
        {
          metric: `wrk -c ${connections}: throughput${path === 'sidecar' ? '' : ', masking on'}`,
          unit: 'req/s',
          higherIsBetter: true,
          crewgate: through.requestsPerSecond,
          ...(direct ? { direct: direct.requestsPerSecond } : {}),
          ...(bare ? { peer: bare.requestsPerSecond, peerName: 'httpxy alone' } : {}),
        },
      ];
    });
  });
}

export const httpBench: Bench = {
  name: 'http',
  title: 'HTTP: wrk direct, via httpxy alone, via the sidecar, via the sidecar with masking',
  run: async (log) => {
    const raw = await benchHttp(log);
    return { benchmark: 'http', rows: httpRows(raw), raw };
  },
};
