/**
 * `kubectl exec pod -- head -c 64M /dev/zero` directly against the API server and through the
 * sidecar's Kubernetes listener, over WebSocket and over SPDY/3.1, into a real local process
 * (kwok as the kubelet). The sidecar runs in this process (the bench does nothing else while
 * kubectl runs, so this process's CPU time is the sidecar's) and records every byte of stdout to a
 * JSON-lines file, as it would in production; the figure is stdout MB/s as kubectl receives it.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NoApprover } from '../sidecar/enforcement/approver.js';
import { Enforcer } from '../sidecar/enforcement/enforcer.js';
import { SidecarMetrics } from '../sidecar/enforcement/metrics.js';
import { compileBundle, StaticBundleSource } from '../sidecar/enforcement/policy-bundle.js';
import { JsonLinesRecorder } from '../sidecar/enforcement/recorder.js';
import { kubernetesAdapter } from '../sidecar/kubernetes/adapter.js';
import { silentLogger } from '../sidecar/logging.js';
import { locateBinaries, pinnedVersions } from '../test/harness/binaries.js';
import { startControlPlane } from '../test/harness/control-plane.js';
import { startKwok } from '../test/harness/kwok.js';
import { kubectl } from '../test/harness/run.js';
import { loadManifests } from '../test/integration/support/postgres-proxy.js';

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

export async function benchKubernetesExec(log: (line: string) => void): Promise<ExecThroughputResult[]> {
  const dir = mkdtempSync(join(tmpdir(), 'crewgate-bench-exec-'));
  const controlPlane = await startControlPlane(
    locateBinaries(),
    join(dir, 'cp'),
    pinnedVersions().KUBERNETES_VERSION ?? 'unknown',
  );
  const harness = { controlPlane: controlPlane.info };
  const kwok = await startKwok(harness, `bench-${Date.now()}`);
  const recordingFile = join(dir, 'recording.jsonl');
  const recorder = new JsonLinesRecorder(recordingFile);
  let listener: Awaited<ReturnType<typeof kubernetesAdapter.start>> | undefined;
  try {
    const admin = async (args: string[], input?: string) => {
      const r = await kubectl(harness, args, input === undefined ? {} : { input });
      if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr}`);
      return r.stdout;
    };
    await admin(['create', 'serviceaccount', 'default']);
    await admin(['create', 'serviceaccount', 'crewgate-proxy']);
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

    const metrics = new SidecarMetrics();
    const bundle = new StaticBundleSource(
      compileBundle(loadManifests('test/integration/fixtures/kube-exec-policies.yaml')),
    );
    listener = await kubernetesAdapter.start(
      {
        connection: 'cluster',
        listen: { host: '127.0.0.1', port: 0 },
        target: async () => ({
          spec: { type: 'kubernetes', address: controlPlane.info.server, tls: { mode: 'verify-full' } },
          credentials: { token },
          caCertificates: [readFileSync(controlPlane.info.caCertificateFile, 'utf8')],
        }),
      },
      {
        enforcer: new Enforcer({ bundle, approver: new NoApprover(), recorder, metrics }),
        verifier: {
          verify: () => Promise.reject(new Error('the benchmark agent presents no token')),
        },
        recorder,
        metrics,
        logger: silentLogger(),
        workloadIdentity: { subject: 'system:serviceaccount:agents:bench', groups: ['crewai-operator'] },
      },
    );
    const agentKubeconfig = join(dir, 'agent.kubeconfig');
    writeFileSync(
      agentKubeconfig,
      `apiVersion: v1\nkind: Config\nclusters: [{ name: sidecar, cluster: { server: "http://127.0.0.1:${listener.port}" } }]\nusers: [{ name: agent, user: {} }]\ncontexts: [{ name: agent, context: { cluster: sidecar, user: agent } }]\ncurrent-context: agent\n`,
    );

    const results: ExecThroughputResult[] = [];
    for (const protocol of ['websocket', 'spdy'] as const) {
      const env = {
        ...process.env,
        KUBECTL_REMOTE_COMMAND_WEBSOCKETS: protocol === 'websocket' ? 'true' : 'false',
      };
      for (const path of ['direct', 'sidecar'] as const) {
        const kubeconfig = path === 'direct' ? controlPlane.info.adminKubeconfig : agentKubeconfig;
        await timedExec(controlPlane.info.kubectl, kubeconfig, env); // warm-up
        const seconds: number[] = [];
        const cpu = process.cpuUsage();
        for (let i = 0; i < RUNS; i++)
          seconds.push((await timedExec(controlPlane.info.kubectl, kubeconfig, env)).seconds);
        const used = process.cpuUsage(cpu);
        const s = median(seconds);
        const result: ExecThroughputResult = {
          protocol,
          path,
          megabytes: MEGABYTES,
          seconds: s,
          mbPerSecond: MEGABYTES / s,
        };
        if (path === 'sidecar')
          result.sidecarCpuSecondsPerGiB = (used.user + used.system) / 1e6 / ((MEGABYTES * RUNS) / 1024);
        results.push(result);
        log(
          `${protocol} ${path}: ${MEGABYTES} MiB in ${s.toFixed(2)} s (median of ${RUNS}) = ${result.mbPerSecond.toFixed(1)} MiB/s` +
            (result.sidecarCpuSecondsPerGiB !== undefined
              ? `, sidecar CPU ${result.sidecarCpuSecondsPerGiB.toFixed(2)} s/GiB`
              : ''),
        );
      }
    }
    recorder.flush();
    log(`recording written: ${(statSync(recordingFile).size / 1024 / 1024).toFixed(0)} MiB of JSON lines`);
    return results;
  } finally {
    await listener?.close();
    recorder.close();
    await kwok.stop();
    await controlPlane.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
