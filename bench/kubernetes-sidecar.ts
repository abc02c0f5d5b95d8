/**
 * The Kubernetes listener in a process of its own for `bench/kubernetes.ts`, running the compiled
 * modules under dist/ (as they ship) with the sidecar's real pipeline: token verification, the
 * enforcer, and the recording a sidecar ships with: the SpoolingRecorder on a spool (fsync
 * `interval`, the default) whose shipper writes to a real recording store (PostgreSQL, TLS, the
 * insert-only sidecar role; see bench/recording-store.ts). Until the sidecar's main wires the
 * kubernetes adapter, this is how the benchmark runs it out of the measuring process. Prints
 * `{"ready":true,"port":N}`; on SIGTERM it drains the spool into the store before exiting.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { repositoryRoot } from '../test/harness/paths.js';

export interface BenchSidecarConfig {
  oidc: { issuer: string; audience: string; caFile: string };
  apiServer: string;
  apiCaFile: string;
  token: string;
  policiesFile: string;
  recording: {
    spoolDir: string;
    store: { host: string; port: number; database: string; user: string; password: string; caPem: string };
  };
  workloadIdentity: { subject: string; groups: string[]; serviceAccount: string };
}

const dist = (path: string) => import(join(repositoryRoot, 'dist', path));
type Mod<T> = Promise<T>;

const config = JSON.parse(readFileSync(process.argv[2] as string, 'utf8')) as BenchSidecarConfig;
const { kubernetesAdapter } = await (dist('sidecar/kubernetes/adapter.js') as Mod<
  typeof import('../sidecar/kubernetes/adapter.js')
>);
const { Enforcer } = await (dist('sidecar/enforcement/enforcer.js') as Mod<
  typeof import('../sidecar/enforcement/enforcer.js')
>);
const { NoApprover } = await (dist('sidecar/enforcement/approver.js') as Mod<
  typeof import('../sidecar/enforcement/approver.js')
>);
const { SidecarMetrics } = await (dist('sidecar/enforcement/metrics.js') as Mod<
  typeof import('../sidecar/enforcement/metrics.js')
>);
const { compileBundle, StaticBundleSource } = await (dist('sidecar/enforcement/policy-bundle.js') as Mod<
  typeof import('../sidecar/enforcement/policy-bundle.js')
>);
const { openRecording } = await (dist('sidecar/recording/index.js') as Mod<
  typeof import('../sidecar/recording/index.js')
>);
const { TokenVerifier } = await (dist('sidecar/identity/token-verifier.js') as Mod<
  typeof import('../sidecar/identity/token-verifier.js')
>);
const { createLogger } = await (dist('sidecar/logging.js') as Mod<typeof import('../sidecar/logging.js')>);

const docs = parseAllDocuments(readFileSync(config.policiesFile, 'utf8')).map(
  (d) => d.toJS() as { kind: string; metadata: { name: string; namespace?: string }; spec: unknown },
);
const bundle = new StaticBundleSource(
  compileBundle({
    accessPolicies: docs.filter((d) => d.kind === 'AccessPolicy'),
    maskingRules: docs.filter((d) => d.kind === 'MaskingRule'),
  }),
);
const metrics = new SidecarMetrics();
const logger = createLogger('bench-kubernetes', { level: 'warn' });
const { caPem, ...store } = config.recording.store;
// The sidecar's defaults (sidecar/config.ts): 256 MiB spool bound, fdatasync every 100 ms.
const recording = openRecording({
  dir: config.recording.spoolDir,
  fsync: { mode: 'interval', intervalMs: 100 },
  maxBytes: 256 * 1024 * 1024,
  store: { ...store, ssl: { ca: [caPem] } },
  metrics,
  logger,
});
const recorder = recording.recorder;
const approver = new NoApprover();
const listener = await kubernetesAdapter.start(
  {
    connection: 'bench-cluster',
    listen: { host: '127.0.0.1', port: 0 },
    target: async () => ({
      spec: { type: 'kubernetes', address: config.apiServer, tls: { mode: 'verify-full' } },
      credentials: { token: config.token },
      caCertificates: [readFileSync(config.apiCaFile, 'utf8')],
    }),
  },
  {
    enforcer: new Enforcer({ bundle, approver, recorder, metrics }),
    verifier: new TokenVerifier([
      {
        issuer: config.oidc.issuer,
        audiences: [config.oidc.audience],
        caCertificates: [readFileSync(config.oidc.caFile, 'utf8')],
      },
    ]),
    recorder,
    metrics,
    logger,
    approver,
    workloadIdentity: config.workloadIdentity,
  },
);
console.log(JSON.stringify({ ready: true, port: listener.port }));
// `drain` on stdin: answers `{"drained":true,"ms":N}` once the spool is empty, i.e. everything
// recorded so far is in the store. The exec benchmark drains between runs: its 64 MiB runs
// outpace the store, and a spool over its bound refuses new commands (fail closed), as in a pod.
let stdinText = '';
process.stdin.on('data', (chunk: Buffer) => {
  stdinText += chunk.toString();
  for (let nl = stdinText.indexOf('\n'); nl !== -1; nl = stdinText.indexOf('\n')) {
    const line = stdinText.slice(0, nl).trim();
    stdinText = stdinText.slice(nl + 1);
    if (line !== 'drain') continue;
    const started = performance.now();
    void recording.shipper.drained(600_000).then(
      () => console.log(JSON.stringify({ drained: true, ms: Math.round(performance.now() - started) })),
      (error: unknown) => console.log(JSON.stringify({ drained: false, error: String(error) })),
    );
  }
});
process.once('SIGTERM', () => {
  void listener
    .close()
    .then(() => recording.close(30_000))
    .finally(() => process.exit(0));
});
