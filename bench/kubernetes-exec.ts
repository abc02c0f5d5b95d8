/**
 * `kubectl exec pod -- head -c 64M /dev/zero` directly against the API server and through the
 * sidecar's Kubernetes listener, over WebSocket and over SPDY/3.1, into a real local process
 * (kwok as the kubelet). The sidecar runs in a process of its own from dist/ (bench/kubernetes-sidecar.ts,
 * shared with bench/kubernetes.ts) and records every byte of stdout with the recorder that ships
 * (spool, hash chain, shipped to a real PostgreSQL recording store), as it would in production; the figure is stdout MiB/s as kubectl receives it, and the sidecar
 * process's CPU time from /proc. Both paths use the same service-account token.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCertificateAuthority } from '../operator/pki/certificates.js';
import { locateBinaries, pinnedVersions } from '../test/harness/binaries.js';
import { startControlPlane } from '../test/harness/control-plane.js';
import { startKwok } from '../test/harness/kwok.js';
import { startOidcProvider } from '../test/harness/oidc.js';
import { repositoryRoot } from '../test/harness/paths.js';
import { kubectl } from '../test/harness/run.js';
import { startKubernetesBenchSidecar } from './kubernetes.js';
import type { BenchSidecarConfig } from './kubernetes-sidecar.js';
import { startBenchRecordingStore } from './recording-store.js';
import { cpuSeconds } from './proc-cpu.js';
import type { Bench, BenchRow } from './result.js';

export interface ExecThroughputResult {
  protocol: 'websocket' | 'spdy';
  path: 'direct' | 'sidecar';
  megabytes: number;
  /** Median of the runs. */
  seconds: number;
  mbPerSecond: number;
  /** The sidecar's CPU seconds per GiB relayed (sidecar path only). */
  sidecarCpuSecondsPerGiB?: number;
}

const MEGABYTES = Number(process.env.BENCH_EXEC_MB ?? 64);
const RUNS = Number(process.env.BENCH_EXEC_RUNS ?? 3);

/** Runs kubectl exec and counts the stdout bytes it prints. */
function timedExec(
  kubectlPath: string,
  kubeconfig: string,
  env: NodeJS.ProcessEnv,
): Promise<{ seconds: number; bytes: number }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(
      kubectlPath,
      [
        '--kubeconfig',
        kubeconfig,
        '-n',
        'default',
        'exec',
        'box',
        '--',
        'head',
        '-c',
        `${MEGABYTES}M`,
        '/dev/zero',
      ],
      { env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let bytes = 0;
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (bytes += c.length));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const seconds = (performance.now() - started) / 1000;
      if (code !== 0 || bytes !== MEGABYTES * 1024 * 1024)
        reject(new Error(`kubectl exec exited ${code} after ${bytes} bytes: ${stderr}`));
      else resolve({ seconds, bytes });
    });
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const kubeconfigFor = (server: string, token: string, caFile?: string) =>
  `apiVersion: v1\nkind: Config\nclusters: [{ name: c, cluster: { server: "${server}"${caFile ? `, certificate-authority: "${caFile}"` : ''} } }]\nusers: [{ name: u, user: { token: "${token}" } }]\ncontexts: [{ name: c, context: { cluster: c, user: u } }]\ncurrent-context: c\n`;

export async function benchKubernetesExec(log: (line: string) => void): Promise<ExecThroughputResult[]> {
  const dir = mkdtempSync(join(tmpdir(), 'crewgate-bench-exec-'));
  const ca = await createCertificateAuthority('crewgate-bench-exec-ca');
  const caFile = join(dir, 'ca.crt');
  writeFileSync(caFile, ca.certificatePem);
  const controlPlane = await startControlPlane(
    locateBinaries(),
    join(dir, 'cp'),
    pinnedVersions().KUBERNETES_VERSION ?? 'unknown',
  );
  const oidc = await startOidcProvider(ca, caFile);
  const harness = { controlPlane: controlPlane.info };
  const kwok = await startKwok(harness, `bench-${Date.now()}`);
  const store = await startBenchRecordingStore('bench-exec-store');
  let sidecar: ChildProcess | undefined;
  try {
    const admin = async (args: string[], input?: string) => {
      const r = await kubectl(harness, args, input === undefined ? {} : { input });
      if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr}`);
      return r.stdout;
    };
    await admin(['create', 'serviceaccount', 'default']);
    await admin(['create', 'serviceaccount', 'crewgate-proxy']);
    // cluster-admin, bound in one namespace: the aggregated `admin` role is empty without a controller-manager.
    await admin([
      'create',
      'rolebinding',
      'crewgate-proxy',
      '--clusterrole=cluster-admin',
      '--serviceaccount=default:crewgate-proxy',
    ]);
    const token = (await admin(['create', 'token', 'crewgate-proxy', '--duration=1h'])).trim();
    await admin(
      ['apply', '-f', '-'],
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'box', namespace: 'default' },
        spec: { nodeName: kwok.nodeName, containers: [{ name: 'shell', image: 'busybox' }] },
      }),
    );
    await admin(['wait', '--for=condition=Ready', 'pod/box', '--timeout=60s']);

    const sidecarConfig: BenchSidecarConfig = {
      oidc: { issuer: oidc.info.issuer, audience: oidc.info.audience, caFile },
      apiServer: controlPlane.info.server,
      apiCaFile: controlPlane.info.caCertificateFile,
      token,
      // bench-operators: the crew may do anything on bench-cluster (exec included), unmasked.
      policiesFile: join(repositoryRoot, 'bench/kubernetes-policies.yaml'),
      recording: store.config(dir),
      workloadIdentity: {
        subject: 'system:serviceaccount:default:bench-agent',
        groups: ['crewai-operator'],
        serviceAccount: 'default/bench-agent',
      },
    };
    const started = await startKubernetesBenchSidecar(dir, sidecarConfig, log, {
      // BENCH_NODE_ARGS (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`) profiles the sidecar under load.
      nodeArgs: process.env.BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? [],
      onSpawn: (child) => (sidecar = child),
    });
    const { port, pid } = started;
    sidecar = started.child;
    const running = sidecar;
    let drainMs = 0;
    let drains = 0;
    // Not timed: waits until the sidecar's spool is empty (everything recorded is in the store).
    const drain = () =>
      new Promise<void>((resolve, reject) => {
        let seen = '';
        const onData = (c: Buffer) => {
          seen += c.toString();
          const line = seen.split('\n').find((l) => l.includes('"drained"'));
          if (!line) return;
          running.stdout?.off('data', onData);
          const answer = JSON.parse(line) as { drained: boolean; ms?: number; error?: string };
          if (!answer.drained) return reject(new Error(`the spool did not drain: ${answer.error}`));
          drainMs += answer.ms ?? 0;
          drains++;
          resolve();
        };
        running.stdout?.on('data', onData);
        running.stdin?.write('drain\n');
      });
    const directKubeconfig = join(dir, 'direct.kubeconfig');
    writeFileSync(
      directKubeconfig,
      kubeconfigFor(controlPlane.info.server, token, controlPlane.info.caCertificateFile),
    );
    // The injected kubeconfig has no credentials: the sidecar sees the pod's workload identity.
    const agentKubeconfig = join(dir, 'agent.kubeconfig');
    writeFileSync(
      agentKubeconfig,
      `apiVersion: v1\nkind: Config\nclusters: [{ name: sidecar, cluster: { server: "http://127.0.0.1:${port}" } }]\nusers: [{ name: agent, user: {} }]\ncontexts: [{ name: agent, context: { cluster: sidecar, user: agent } }]\ncurrent-context: agent\n`,
    );

    const results: ExecThroughputResult[] = [];
    for (const protocol of ['websocket', 'spdy'] as const) {
      const env = {
        ...process.env,
        KUBECTL_REMOTE_COMMAND_WEBSOCKETS: protocol === 'websocket' ? 'true' : 'false',
      };
      for (const path of ['direct', 'sidecar'] as const) {
        const kubeconfig = path === 'direct' ? directKubeconfig : agentKubeconfig;
        await timedExec(controlPlane.info.kubectl, kubeconfig, env); // warm-up
        if (path === 'sidecar') await drain();
        const seconds: number[] = [];
        let cpu = 0;
        for (let i = 0; i < RUNS; i++) {
          const cpuBefore = cpuSeconds(pid);
          seconds.push((await timedExec(controlPlane.info.kubectl, kubeconfig, env)).seconds);
          cpu += cpuSeconds(pid) - cpuBefore;
          if (path === 'sidecar') await drain();
        }
        const s = median(seconds);
        const result: ExecThroughputResult = {
          protocol,
          path,
          megabytes: MEGABYTES,
          seconds: s,
          mbPerSecond: MEGABYTES / s,
        };
        if (path === 'sidecar') result.sidecarCpuSecondsPerGiB = cpu / ((MEGABYTES * RUNS) / 1024);
        results.push(result);
        log(
          `${protocol} ${path}: ${MEGABYTES} MiB in ${s.toFixed(2)} s (median of ${RUNS}) = ${result.mbPerSecond.toFixed(1)} MiB/s` +
            (result.sidecarCpuSecondsPerGiB !== undefined
              ? `, sidecar CPU ${result.sidecarCpuSecondsPerGiB.toFixed(2)} s/GiB`
              : ''),
        );
      }
    }
    log(
      `after each sidecar run the store took ${(drainMs / Math.max(1, drains) / 1000).toFixed(1)} s on average to take what was still spooled`,
    );
    sidecar.kill('SIGTERM');
    await new Promise((resolve) => sidecar!.once('exit', resolve));
    const stored = await store.stored();
    log(`recording store holds ${stored.events} events, ${stored.payloadMiB.toFixed(0)} MiB of payload`);
    return results;
  } finally {
    if (sidecar && sidecar.exitCode === null) sidecar.kill('SIGKILL');
    await kwok.stop();
    await store.stop();
    await oidc.stop();
    await controlPlane.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The table's rows: exec stdout throughput through the sidecar against direct, per wire protocol. */
export function kubernetesExecRows(raw: ExecThroughputResult[]): BenchRow[] {
  return (['websocket', 'spdy'] as const).flatMap((protocol) => {
    const direct = raw.find((r) => r.protocol === protocol && r.path === 'direct');
    const sidecar = raw.find((r) => r.protocol === protocol && r.path === 'sidecar');
    if (!sidecar) return [];
    return [
      {
        metric: `kubectl exec stdout over ${protocol}, recorded`,
        unit: 'MiB/s',
        higherIsBetter: true,
        crewgate: sidecar.mbPerSecond,
        ...(direct ? { direct: direct.mbPerSecond } : {}),
      },
    ];
  });
}

export const kubernetesExecBench: Bench = {
  name: 'kubernetes-exec',
  title: 'Kubernetes exec: stdout throughput, kubectl exec direct vs through the sidecar (recorded)',
  run: async (log) => {
    const raw = await benchKubernetesExec(log);
    return { benchmark: 'kubernetes-exec', rows: kubernetesExecRows(raw), raw };
  },
};
