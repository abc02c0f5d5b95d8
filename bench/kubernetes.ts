/**
 * The Kubernetes API through the sidecar vs directly, against a real kube-apiserver started for
 * the run: `kubectl get pods` wall time (a whole kubectl invocation, discovery cached, as an agent
 * runs it) and a 1,000-object list (`GET .../configmaps` over node:https with keep-alive), median
 * and p90 of N runs (60 by default). Direct and sidecar runs alternate A/B, then B/A, per
 * iteration, after a warm-up of both, so drift and the other tenants' load hit both alike; the
 * 1-minute load average is printed and kept with every figure, since on a shared machine a ratio
 * means little without it. The sidecar runs in its
 * own process (bench/kubernetes-sidecar.ts); kubectl reaches it the way an injected pod does, over
 * plain HTTP on loopback with the pod's workload identity (kubectl sends no token over http://),
 * and the list client sends an OIDC token. The direct path is TLS to the API server with the same
 * service-account token the sidecar holds.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { createCertificateAuthority } from '../operator/pki/certificates.js';
import { renderKubeconfig as renderInjectedKubeconfig } from '../operator/injection/kubeconfig.js';
import { locateBinaries, pinnedVersions } from '../test/harness/binaries.js';
import { startControlPlane } from '../test/harness/control-plane.js';
import { startOidcProvider } from '../test/harness/oidc.js';
import { oidcToken } from '../test/harness/oidc-token.js';
import { repositoryRoot } from '../test/harness/paths.js';
import { runCommand } from '../test/harness/run.js';
import type { BenchSidecarConfig } from './kubernetes-sidecar.js';
import { waitForReadyPort } from './child-ready.js';
import { startBenchRecordingStore } from './recording-store.js';
import { cpuSeconds } from './proc-cpu.js';
import type { Bench, BenchRow } from './result.js';

const KUBECTL_RUNS = Number(process.env.BENCH_KUBECTL_RUNS ?? 60);
const LIST_RUNS = Number(process.env.BENCH_LIST_RUNS ?? 60);
const LIST_WARMUP_RUNS = Number(process.env.BENCH_LIST_WARMUP_RUNS ?? 20);
// BENCH_KUBE_MASKING=0 leaves out the masked list (e.g. to profile the plain relay alone).
const OBJECTS = 1000;
const NS = 'bench';

export interface KubernetesBenchResult {
  scenario: string;
  path: string;
  runs: number;
  medianMs: number;
  p90Ms: number;
  bytes?: number;
  proxyCpuMsPerRun?: number;
  /** The 1-minute load average when the scenario's runs started and ended. */
  loadAverage: [number, number];
}

const load1 = () => Math.round(loadavg()[0]! * 100) / 100;

/** Each iteration's order: A/B on even iterations, B/A on odd ones, so neither always goes first. */
export function alternated<T>(items: readonly T[], iteration: number): readonly T[] {
  return iteration % 2 === 0 ? items : [...items].reverse();
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const p90 = (xs: number[]) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * 0.9))] as number;

/**
 * Starts bench/kubernetes-sidecar.ts on `config` (written to `dir`/sidecar.json) and waits for its
 * port. `onSpawn` gets the child first, so the caller stops it even when it never becomes ready.
 * Also used by bench/kubernetes-exec.ts.
 */
export async function startKubernetesBenchSidecar(
  dir: string,
  config: BenchSidecarConfig,
  log: (line: string) => void,
  options: { nodeArgs?: string[]; onSpawn: (child: ChildProcess) => void },
): Promise<{ child: ChildProcess; port: number; pid: number }> {
  const configFile = join(dir, 'sidecar.json');
  writeFileSync(configFile, JSON.stringify(config));
  const child = spawn(
    process.execPath,
    [
      ...(options.nodeArgs ?? []),
      '--import',
      'tsx',
      join(repositoryRoot, 'bench/kubernetes-sidecar.ts'),
      configFile,
    ],
    {
      cwd: repositoryRoot,
      env: { ...process.env, CREWGATE_LOG_LEVEL: 'warn' },
      // stdin: the exec bench asks the sidecar to drain its spool between runs ('drain').
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  );
  options.onSpawn(child);
  const port = await waitForReadyPort(child, 'bench sidecar', 60_000);
  const pid = child.pid as number;
  log(`sidecar listening on 127.0.0.1:${port} (pid ${pid})`);
  return { child, port, pid };
}

/** One GET, body read to the end; the time and the body size. */
function timedGet(
  url: string,
  options: { agent: HttpAgent; headers: Record<string, string>; ca?: string },
): Promise<{ ms: number; bytes: number }> {
  const started = performance.now();
  const send = url.startsWith('https:') ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(url, { agent: options.agent, headers: options.headers }, (res) => {
      let bytes = 0;
      res.on('data', (c: Buffer) => (bytes += c.length));
      res.on('end', () => {
        if (res.statusCode !== 200) reject(new Error(`GET ${url} answered ${res.statusCode}`));
        else resolve({ ms: performance.now() - started, bytes });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

export async function benchKubernetes(log: (line: string) => void): Promise<KubernetesBenchResult[]> {
  const dir = mkdtempSync(join(tmpdir(), 'crewgate-bench-kube-'));
  const binaries = locateBinaries();
  const ca = await createCertificateAuthority('crewgate-bench-ca');
  const caFile = join(dir, 'ca.crt');
  writeFileSync(caFile, ca.certificatePem);
  const cp = await startControlPlane(
    binaries,
    join(dir, 'cp'),
    pinnedVersions().KUBERNETES_VERSION ?? 'unknown',
  );
  const oidc = await startOidcProvider(ca, caFile);
  const store = await startBenchRecordingStore('bench-kube-store');
  const children: ChildProcess[] = [];
  try {
    const admin = async (args: string[], input?: string) =>
      cp.kubectl(args, input === undefined ? {} : { input });
    await admin(
      ['apply', '-f', '-'],
      [
        `apiVersion: v1\nkind: Namespace\nmetadata: { name: ${NS} }`,
        `apiVersion: v1\nkind: ServiceAccount\nmetadata: { name: crewgate-proxy, namespace: ${NS} }`,
        `apiVersion: v1\nkind: ServiceAccount\nmetadata: { name: default, namespace: ${NS} }`,
        // Aggregated ClusterRoles (admin, edit) stay empty without a controller-manager: a Role of our own.
        `apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: { name: crewgate-proxy, namespace: ${NS} }\nrules: [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }]`,
        `apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: { name: crewgate-proxy, namespace: ${NS} }\nroleRef: { apiGroup: rbac.authorization.k8s.io, kind: Role, name: crewgate-proxy }\nsubjects: [{ kind: ServiceAccount, name: crewgate-proxy, namespace: ${NS} }]`,
      ].join('\n---\n'),
    );
    const saToken = (await admin(['create', 'token', 'crewgate-proxy', '-n', NS, '--duration=2h'])).trim();
    log(`creating ${OBJECTS} ConfigMaps and 10 pods in namespace ${NS}`);
    const items = Array.from({ length: OBJECTS }, (_, i) => ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: `cm-${String(i).padStart(4, '0')}`,
        namespace: NS,
        labels: { app: 'bench', shard: String(i % 10) },
      },
      data: { owner: `team-${i % 17}@example.com`, setting: `value-${i}`, note: 'x'.repeat(200) },
    }));
    const pods = Array.from({ length: 10 }, (_, i) => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: `web-${i}`, namespace: NS },
      spec: { containers: [{ name: 'web', image: 'nginx' }] },
    }));
    await admin(
      ['create', '-f', '-'],
      JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [...items, ...pods] }),
    );

    const sidecarConfig: BenchSidecarConfig = {
      oidc: { issuer: oidc.info.issuer, audience: oidc.info.audience, caFile },
      apiServer: cp.info.server,
      apiCaFile: cp.info.caCertificateFile,
      token: saToken,
      policiesFile: join(repositoryRoot, 'bench/kubernetes-policies.yaml'),
      recording: store.config(dir),
      workloadIdentity: {
        subject: `system:serviceaccount:${NS}:bench-agent`,
        groups: ['system:serviceaccounts'],
        serviceAccount: `${NS}/bench-agent`,
      },
    };
    const { port, pid } = await startKubernetesBenchSidecar(dir, sidecarConfig, log, {
      // BENCH_NODE_ARGS (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`) profiles the sidecar under load.
      nodeArgs: process.env.BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? [],
      onSpawn: (child) => children.push(child),
    });

    // kubectl: direct with the service-account token over TLS; via the injected kubeconfig.
    const directKubeconfig = join(dir, 'direct.kubeconfig');
    writeFileSync(
      directKubeconfig,
      stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [
          {
            name: 'c',
            cluster: { server: cp.info.server, 'certificate-authority': cp.info.caCertificateFile },
          },
        ],
        users: [{ name: 'u', user: { token: saToken } }],
        contexts: [{ name: 'c', context: { cluster: 'c', user: 'u', namespace: NS } }],
        'current-context': 'c',
      }),
    );
    const sidecarKubeconfig = join(dir, 'sidecar.kubeconfig');
    writeFileSync(
      sidecarKubeconfig,
      renderInjectedKubeconfig([
        { name: 'bench-cluster', type: 'kubernetes', address: '127.0.0.1', port: 443, listenPort: port },
      ]) ?? '',
    );
    const cacheDir = join(dir, 'kube-cache');
    const kubectlRun = async (kubeconfig: string): Promise<number> => {
      const started = performance.now();
      const r = await runCommand(binaries.kubectl, [
        '--kubeconfig',
        kubeconfig,
        '--cache-dir',
        cacheDir,
        '-n',
        NS,
        'get',
        'pods',
      ]);
      const ms = performance.now() - started;
      if (r.code !== 0 || !r.stdout.includes('web-9'))
        throw new Error(`kubectl get pods failed: ${r.stderr}`);
      return ms;
    };

    const results: KubernetesBenchResult[] = [];
    const record = (
      scenario: string,
      path: string,
      samples: number[],
      loadAverage: [number, number],
      extra: Partial<KubernetesBenchResult> = {},
    ) => {
      const r: KubernetesBenchResult = {
        scenario,
        path,
        runs: samples.length,
        medianMs: median(samples),
        p90Ms: p90(samples),
        loadAverage,
        ...extra,
      };
      results.push(r);
      log(
        `${scenario} via ${path}: median ${r.medianMs.toFixed(1)} ms, p90 ${r.p90Ms.toFixed(1)} ms over ${r.runs} runs (load ${loadAverage[0]} -> ${loadAverage[1]})` +
          (r.proxyCpuMsPerRun !== undefined ? `, sidecar CPU ${r.proxyCpuMsPerRun.toFixed(2)} ms/run` : '') +
          (r.bytes !== undefined ? `, ${r.bytes} bytes` : ''),
      );
    };

    // Warm-up: discovery caches, keep-alive connections, JIT.
    for (let i = 0; i < 3; i++) {
      await kubectlRun(directKubeconfig);
      await kubectlRun(sidecarKubeconfig);
    }
    const direct: number[] = [];
    const via: number[] = [];
    let cpu = 0;
    const kubectlLoad = load1();
    for (let i = 0; i < KUBECTL_RUNS; i++) {
      for (const side of alternated(['direct', 'sidecar'] as const, i)) {
        if (side === 'direct') {
          direct.push(await kubectlRun(directKubeconfig));
          continue;
        }
        const before = cpuSeconds(pid);
        via.push(await kubectlRun(sidecarKubeconfig));
        cpu += cpuSeconds(pid) - before;
      }
    }
    const kubectlLoads: [number, number] = [kubectlLoad, load1()];
    log(
      `load average ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')} after the kubectl runs`,
    );
    record('kubectl get pods', 'direct', direct, kubectlLoads);
    record('kubectl get pods', 'sidecar', via, kubectlLoads, {
      proxyCpuMsPerRun: (cpu / KUBECTL_RUNS) * 1000,
    });

    // The 1,000-object list over node:http(s), keep-alive, JSON.
    const listPath = `/api/v1/namespaces/${NS}/configmaps`;
    const apiCa = readFileSync(cp.info.caCertificateFile, 'utf8');
    const httpsAgent = new HttpsAgent({ keepAlive: true, ca: apiCa, maxSockets: 1 });
    const httpAgent = new HttpAgent({ keepAlive: true, maxSockets: 1 });
    const [operatorToken, analystToken] = [
      await oidcToken(oidc.info, 'agent-operator'),
      await oidcToken(oidc.info, 'agent-analyst'),
    ];
    const accept = { accept: 'application/json' };
    const paths = [
      {
        path: 'direct',
        url: `${cp.info.server}${listPath}`,
        agent: httpsAgent,
        headers: { ...accept, authorization: `Bearer ${saToken}` },
      },
      {
        path: 'sidecar',
        url: `http://127.0.0.1:${port}${listPath}`,
        agent: httpAgent,
        headers: { ...accept, authorization: `Bearer ${operatorToken}` },
        sidecar: true,
      },
      {
        path: 'sidecar+masking',
        url: `http://127.0.0.1:${port}${listPath}`,
        agent: httpAgent,
        headers: { ...accept, authorization: `Bearer ${analystToken}` },
        sidecar: true,
      },
    ].filter((p) => process.env.BENCH_KUBE_MASKING !== '0' || p.path !== 'sidecar+masking');
    // A pod's sidecar runs for hours: the warm-up lets V8 compile the relay's hot path (with 5
    // runs, TurboFan was still compiling during the measured ones, 13% of the sidecar's CPU).
    for (let i = 0; i < LIST_WARMUP_RUNS; i++) for (const p of alternated(paths, i)) await timedGet(p.url, p);
    const samples = new Map(paths.map((p) => [p.path, [] as number[]]));
    const cpuBy = new Map(paths.map((p) => [p.path, 0]));
    const bytesBy = new Map<string, number>();
    const listLoad = load1();
    for (let i = 0; i < LIST_RUNS; i++) {
      for (const p of alternated(paths, i)) {
        const before = p.sidecar ? cpuSeconds(pid) : 0;
        const r = await timedGet(p.url, p);
        if (p.sidecar) cpuBy.set(p.path, (cpuBy.get(p.path) ?? 0) + cpuSeconds(pid) - before);
        samples.get(p.path)?.push(r.ms);
        bytesBy.set(p.path, r.bytes);
      }
    }
    const listLoads: [number, number] = [listLoad, load1()];
    log(
      `load average ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')} after the list runs`,
    );
    for (const p of paths)
      record(`list ${OBJECTS} ConfigMaps`, p.path, samples.get(p.path) ?? [], listLoads, {
        bytes: bytesBy.get(p.path) ?? 0,
        ...(p.sidecar ? { proxyCpuMsPerRun: ((cpuBy.get(p.path) ?? 0) / LIST_RUNS) * 1000 } : {}),
      });
    httpsAgent.destroy();
    httpAgent.destroy();
    return results;
  } finally {
    await Promise.all(
      children.map(
        (c) =>
          new Promise((resolve) => {
            if (c.exitCode !== null) return resolve(undefined);
            c.once('exit', resolve);
            c.kill('SIGTERM');
          }),
      ),
    );
    const stored = await store.stored().catch(() => undefined);
    if (stored) log(`recording store holds ${stored.events} events`);
    await store.stop();
    await oidc.stop();
    await cp.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The table's rows: each scenario's median through the sidecar (and with masking) against direct. */
export function kubernetesRows(raw: KubernetesBenchResult[]): BenchRow[] {
  const rows: BenchRow[] = [];
  for (const scenario of [...new Set(raw.map((r) => r.scenario))]) {
    const by = (path: string) => raw.find((r) => r.scenario === scenario && r.path === path);
    const direct = by('direct');
    for (const path of ['sidecar', 'sidecar+masking']) {
      const through = by(path);
      if (!through) continue;
      const load = `load ${through.loadAverage[0]}-${through.loadAverage[1]}`;
      rows.push({
        metric: `${scenario}: median${path === 'sidecar' ? ' (target <= 1.2x direct)' : ', masking on'}, ${load}`,
        unit: 'ms',
        higherIsBetter: false,
        crewgate: through.medianMs,
        ...(direct ? { direct: direct.medianMs } : {}),
      });
      rows.push({
        metric: `${scenario}: p90${path === 'sidecar' ? '' : ', masking on'}, ${load}`,
        unit: 'ms',
        higherIsBetter: false,
        crewgate: through.p90Ms,
        ...(direct ? { direct: direct.p90Ms } : {}),
      });
    }
  }
  return rows;
}

export const kubernetesBench: Bench = {
  name: 'kubernetes',
  title: 'Kubernetes API: kubectl and a 1,000-object list, direct vs through the sidecar',
  run: async (log) => {
    const raw = await benchKubernetes(log);
    return { benchmark: 'kubernetes', rows: kubernetesRows(raw), raw };
  },
};
