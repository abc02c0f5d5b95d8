/**
 * The in-pod sidecar as a process, started from what the injector put into a real pod: the
 * injected sidecar container's args and the pod's volumes. There is no kubelet here, so this does
 * its part for the three volume kinds the injector uses, from the pod object itself:
 *   downwardAPI annotation items -> files (the in-pod config, the control plane's CA),
 *   projected serviceAccountToken -> a TokenRequest bound to this pod (audience and expiry as asked),
 *   emptyDir -> an empty directory.
 * Each volume is written under a temp dir at its mount path, and only the in-pod paths (the mount
 * paths, in args and config) are rewritten to point there. The listen and metrics ports are moved to
 * free ones by default, because without a pod network namespace every "pod" shares this host's
 * loopback (`keepPorts` keeps the injected ones, e.g. for the demo).
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parse, stringify } from 'yaml';
import { SIDECAR_CONTAINER } from '../../../operator/injection/constants.js';
import { repositoryRoot } from '../../harness/paths.js';
import { freePort } from '../../harness/ports.js';
import { kubectl } from '../../harness/run.js';
import { serviceAccountToken } from '../../harness/service-account-token.js';

type Cluster = Parameters<typeof kubectl>[0];

interface PodObject {
  metadata: { name: string; namespace: string; annotations?: Record<string, string> };
  spec: {
    serviceAccountName?: string;
    initContainers?: {
      name: string;
      args?: string[];
      volumeMounts?: { name: string; mountPath: string }[];
    }[];
    volumes?: {
      name: string;
      downwardAPI?: { items: { path: string; fieldRef?: { fieldPath: string } }[] };
      projected?: {
        sources: { serviceAccountToken?: { audience?: string; expirationSeconds?: number; path: string } }[];
      };
      emptyDir?: object;
    }[];
  };
}

export interface InPodSidecar {
  child: ChildProcessWithoutNullStreams;
  /** The temp dir standing in for the pod's filesystem (volumes under their mount paths). */
  root: string;
  /** Bound port per connection name. */
  ports: Record<string, number>;
  metricsPort: number;
  /** Everything the process printed (stdout and stderr). */
  output(): string;
  /** Waits until `/readyz` answers 200 (the first policy bundle is in force). */
  untilReady(timeoutMs?: number): Promise<void>;
  /** SIGTERM, then waits for the exit. */
  stop(): Promise<void>;
  /** SIGKILL, then waits for the exit. */
  kill(): Promise<void>;
}

export interface InPodSidecarOptions {
  keepPorts?: boolean;
  env?: Record<string, string>;
  /** Reuse this pod root (a restarted sidecar finds its spool again, as in a real pod). */
  root?: string;
}

const ANNOTATION_FIELD = /^metadata\.annotations\['(.+)'\]$/;

/** Reads the pod from the API server and writes its sidecar's volumes under `root`; returns the rewritten args. */
export async function materialisePodVolumes(
  cluster: Cluster,
  namespace: string,
  podName: string,
  root: string,
): Promise<{ args: string[]; pod: PodObject }> {
  const got = await kubectl(cluster, ['get', 'pod', podName, '-n', namespace, '-o', 'json']);
  if (got.code !== 0) throw new Error(got.stderr);
  const pod = JSON.parse(got.stdout) as PodObject;
  const container = pod.spec.initContainers?.find((c) => c.name === SIDECAR_CONTAINER);
  if (!container) throw new Error(`pod ${namespace}/${podName} has no ${SIDECAR_CONTAINER} container`);
  const mounts = container.volumeMounts ?? [];
  const inPod = (path: string) =>
    mounts.some((m) => path === m.mountPath || path.startsWith(`${m.mountPath}/`));
  const rewrite = (path: string) => (inPod(path) ? join(root, path) : path);

  for (const mount of mounts) {
    const volume = pod.spec.volumes?.find((v) => v.name === mount.name);
    if (!volume) throw new Error(`volume ${mount.name} is mounted but not defined`);
    const dir = join(root, mount.mountPath);
    mkdirSync(dir, { recursive: true });
    for (const item of volume.downwardAPI?.items ?? []) {
      const annotation = ANNOTATION_FIELD.exec(item.fieldRef?.fieldPath ?? '')?.[1];
      if (!annotation) throw new Error(`downwardAPI item ${item.path}: only annotation fields are supported`);
      let text = pod.metadata.annotations?.[annotation] ?? '';
      if (item.path.endsWith('.yaml')) text = rewriteConfigPaths(text, rewrite);
      mkdirSync(dirname(join(dir, item.path)), { recursive: true });
      writeFileSync(join(dir, item.path), text);
    }
    for (const source of volume.projected?.sources ?? []) {
      const t = source.serviceAccountToken;
      if (!t) continue;
      const token = await serviceAccountToken(cluster, {
        namespace,
        serviceAccount: pod.spec.serviceAccountName ?? 'default',
        audience: t.audience ?? '',
        durationSeconds: t.expirationSeconds ?? 3600,
        pod: podName,
      });
      if (token.code !== 0) throw new Error(token.stderr);
      writeFileSync(join(dir, t.path), token.stdout.trim(), { mode: 0o600 });
    }
  }
  return { args: (container.args ?? []).map(rewrite), pod };
}

/** Rewrites every string value of the config YAML that is an in-pod path. */
function rewriteConfigPaths(text: string, rewrite: (path: string) => string): string {
  const walk = (value: unknown): unknown => {
    if (typeof value === 'string') return value.startsWith('/') ? rewrite(value) : value;
    if (Array.isArray(value)) return value.map(walk);
    if (value && typeof value === 'object')
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walk(v)]));
    return value;
  };
  return stringify(walk(parse(text)), { lineWidth: 0 });
}

async function movePorts(configPath: string): Promise<void> {
  const config = parse(readFileSync(configPath, 'utf8')) as {
    connections: { listen: { port: number } }[];
    metrics: { port: number; host: string };
  };
  for (const c of config.connections) c.listen.port = await freePort();
  config.metrics.port = await freePort();
  config.metrics.host = '127.0.0.1';
  writeFileSync(configPath, stringify(config, { lineWidth: 0 }));
}

export interface LaunchedSidecar {
  child: ChildProcessWithoutNullStreams;
  output(): string;
  /** The ready line's ports; rejects if the process exits first. */
  ready: Promise<{ listeners: Record<string, number>; metricsPort: number }>;
  exited: Promise<void>;
}

/** Spawns `sidecar/main.ts` with `args` (the injected container's, rewritten). */
export function launchSidecar(args: string[], env: Record<string, string> = {}): LaunchedSidecar {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(repositoryRoot, 'sidecar/main.ts'), ...args],
    {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, ...env },
    },
  );
  let out = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const ready = new Promise<{ listeners: Record<string, number>; metricsPort: number }>((resolve, reject) => {
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      const line = out.split('\n').find((l) => l.includes('"ready":true'));
      if (line) resolve(JSON.parse(line));
    });
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    child.once('exit', (code) => reject(new Error(`in-pod sidecar exited ${code}: ${out}`)));
  });
  ready.catch(() => undefined);
  return { child, output: () => out, ready, exited };
}

/** Materialises the pod's volumes (see above); moves the ports unless `keepPorts`. Returns the sidecar's args. */
export async function preparePodRoot(
  cluster: Cluster,
  namespace: string,
  podName: string,
  options: InPodSidecarOptions = {},
): Promise<{ root: string; args: string[] }> {
  const root = options.root ?? mkdtempSync(join(tmpdir(), `crewgate-pod-${podName}-`));
  const { args } = await materialisePodVolumes(cluster, namespace, podName, root);
  const configIndex = args.indexOf('--config');
  if (!options.keepPorts && configIndex >= 0) await movePorts(args[configIndex + 1]!);
  return { root, args };
}

/** Starts `sidecar/main.ts` with the injected container's args; resolves once it prints its ready line. */
export async function startInPodSidecar(
  cluster: Cluster,
  namespace: string,
  podName: string,
  options: InPodSidecarOptions = {},
): Promise<InPodSidecar> {
  const { root, args } = await preparePodRoot(cluster, namespace, podName, options);
  const launched = launchSidecar(args, options.env);
  const ready = await launched.ready;
  const { child, exited } = launched;
  return {
    child,
    root,
    ports: ready.listeners,
    metricsPort: ready.metricsPort,
    output: launched.output,
    async untilReady(timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const res = await fetch(`http://127.0.0.1:${ready.metricsPort}/readyz`).catch(() => undefined);
        if (res?.status === 200) return;
        if (Date.now() > deadline)
          throw new Error(`sidecar not ready: ${(await res?.text()) ?? 'no answer'}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
    async kill() {
      if (child.exitCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}
