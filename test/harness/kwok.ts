/**
 * A real kubelet endpoint for exec tests: kwok's controller (sigs.k8s.io/kwok, built by
 * `make deps`) against the harness API server, managing one fake Node and serving the kubelet's
 * exec/attach/port-forward API with a ClusterExec that runs commands as local processes in a
 * temp directory, a ClusterPortForward that connects every forwarded port to `cat` (an echo
 * server), and a ClusterAttach that attaches every container to one CRI-format log file.
 *
 * kwok's attach is not a process: `Server.AttachContainer` (pkg/kwok/server/debugging_attach.go,
 * kwok v0.8.0) follows the attach's `logsFile` from its end (`TailLines: 0, Follow: true`, through
 * k8s.io/cri-client's `ReadLogs`) and writes each CRI log line to the stdout or stderr stream its
 * line names; it never reads stdin and never ends the stream itself. So an attach test appends
 * lines to `attachLog` (see `appendAttachLog`) and sees them arrive on kubectl's stdout/stderr. The API server reaches it at the Node's InternalIP (127.0.0.1) and
 * daemonEndpoints port, as it reaches any kubelet; it does not verify the kubelet's serving
 * certificate because the harness sets no `--kubelet-certificate-authority` (kwok serves a
 * self-signed one).
 *
 * Started on demand by the test files that need it, never by the global setup: only exec tests
 * pay for it. Each instance manages only the Node carrying its own label, so two files can run
 * one each.
 */
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cacheRoot, MissingBinaryError, pinnedVersions } from './binaries.js';
import { freePort } from './ports.js';
import { ManagedProcess } from './process.js';
import { kubectl } from './run.js';

export interface Kwok {
  /** The Node kwok serves; pods with `spec.nodeName` set to it can be exec'd into. */
  nodeName: string;
  /** Where exec'd commands run (the ClusterExec's `workDir`). */
  workDir: string;
  /** The kubelet server's address. */
  port: number;
  /** The CRI log file every `kubectl attach` follows (from its end, as a container's output). */
  attachLog: string;
  stop(): Promise<void>;
}

export function locateKwok(): string {
  const path = join(cacheRoot(), `kwok-${pinnedVersions().KWOK_VERSION}`, 'kwok');
  if (!existsSync(path)) throw new MissingBinaryError('kwok', path);
  return path;
}

/**
 * kwok's own "fast" stages, cut down: the Node gets only an InternalIP address (the API server
 * prefers Hostname, which would not resolve) and its kubelet port; pods become Running at once
 * and go away when deleted.
 */
function stages(): string {
  return `apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata: { name: node-initialize }
spec:
  resourceRef: { apiGroup: v1, kind: Node }
  selector:
    matchExpressions:
      - key: '.status.conditions.[] | select( .type == "Ready" ) | .status'
        operator: NotIn
        values: ['True']
  next:
    statusTemplate: |
      {{ $now := Now }}
      conditions:
      {{ range NodeConditions }}
      - lastHeartbeatTime: {{ $now | Quote }}
        lastTransitionTime: {{ $now | Quote }}
        message: {{ .message | Quote }}
        reason: {{ .reason | Quote }}
        status: {{ .status | Quote }}
        type: {{ .type | Quote }}
      {{ end }}
      addresses:
      - address: {{ NodeIP | Quote }}
        type: InternalIP
      daemonEndpoints:
        kubeletEndpoint:
          Port: {{ NodePort }}
      allocatable: { cpu: 1k, memory: 1Ti, pods: 1k }
      capacity: { cpu: 1k, memory: 1Ti, pods: 1k }
      phase: Running
---
apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata: { name: pod-ready }
spec:
  resourceRef: { apiGroup: v1, kind: Pod }
  selector:
    matchExpressions:
      - key: '.metadata.deletionTimestamp'
        operator: DoesNotExist
      - key: '.status.phase'
        operator: In
        values: [Pending]
  next:
    statusTemplate: |
      {{ $now := Now }}
      conditions:
      - { lastTransitionTime: {{ $now | Quote }}, status: "True", type: Initialized }
      - { lastTransitionTime: {{ $now | Quote }}, status: "True", type: Ready }
      - { lastTransitionTime: {{ $now | Quote }}, status: "True", type: ContainersReady }
      containerStatuses:
      {{ range .spec.containers }}
      - image: {{ .image | Quote }}
        name: {{ .name | Quote }}
        ready: true
        restartCount: 0
        state: { running: { startedAt: {{ $now | Quote }} } }
      {{ end }}
      hostIP: {{ NodeIP | Quote }}
      podIP: {{ NodeIP | Quote }}
      phase: Running
      startTime: {{ $now | Quote }}
---
apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata: { name: pod-delete }
spec:
  resourceRef: { apiGroup: v1, kind: Pod }
  selector:
    matchExpressions:
      - key: '.metadata.deletionTimestamp'
        operator: Exists
  next:
    delete: true
`;
}

/** Starts kwok for a new Node `kwok-<id>` and waits until the API server sees it Ready. */
export async function startKwok(
  harness: { controlPlane: { kubectl: string; adminKubeconfig: string } },
  id: string,
): Promise<Kwok> {
  const binary = locateKwok();
  const dir = mkdtempSync(join(tmpdir(), 'crewgate-kwok-'));
  const workDir = join(dir, 'work');
  mkdirSync(workDir);
  const nodeName = `kwok-${id}`;
  const port = await freePort();
  const config = join(dir, 'kwok.yaml');
  const attachLog = join(dir, 'attach.log');
  // kwok opens it when an attach starts, so it must exist first.
  writeFileSync(attachLog, '');
  writeFileSync(
    config,
    `${stages()}---
apiVersion: kwok.x-k8s.io/v1alpha1
kind: ClusterExec
metadata: { name: local-processes }
spec:
  execs:
    - local:
        workDir: ${JSON.stringify(workDir)}
        envs: [{ name: CREWGATE_KWOK, value: "${id}" }]
---
apiVersion: kwok.x-k8s.io/v1alpha1
kind: ClusterPortForward
metadata: { name: echo }
spec:
  forwards:
    - command: [cat]
---
apiVersion: kwok.x-k8s.io/v1alpha1
kind: ClusterAttach
metadata: { name: log-file }
spec:
  attaches:
    - logsFile: ${JSON.stringify(attachLog)}
`,
  );
  const process = new ManagedProcess({
    name: 'kwok',
    command: binary,
    logFile: join(dir, 'kwok.log'),
    args: [
      `--kubeconfig=${harness.controlPlane.adminKubeconfig}`,
      `--config=${config}`,
      `--manage-nodes-with-label-selector=crewgate.dev/kwok=${id}`,
      `--server-address=127.0.0.1:${port}`,
      `--node-port=${port}`,
      '--node-ip=127.0.0.1',
    ],
  });
  const stop = async () => {
    await kubectl(harness, ['delete', 'node', nodeName, '--ignore-not-found', '--wait=false']);
    await process.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await kubectl(harness, ['apply', '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'v1',
        kind: 'Node',
        metadata: {
          name: nodeName,
          labels: { 'crewgate.dev/kwok': id, type: 'kwok' },
          annotations: { 'kwok.x-k8s.io/node': 'fake' },
        },
        spec: { taints: [] },
      }),
    });
    await process.waitUntilReady(async () => {
      const ready = await kubectl(harness, [
        'get',
        'node',
        nodeName,
        '-o',
        'jsonpath={.status.daemonEndpoints.kubeletEndpoint.Port} {.status.conditions[?(@.type=="Ready")].status}',
      ]);
      return ready.stdout.trim() === `${port} True`;
    }, 60_000);
  } catch (error) {
    await stop();
    throw error;
  }
  return { nodeName, workDir, port, attachLog, stop };
}

/**
 * Appends `text` to the attach log as one CRI log line per line of it (`<RFC 3339 time> <stream>
 * F <line>\n`), which kwok sends to every attached client on `stream`.
 */
export function appendAttachLog(
  kwok: Pick<Kwok, 'attachLog'>,
  stream: 'stdout' | 'stderr',
  text: string,
): void {
  const lines = text.split(/(?<=\n)/).filter((line) => line !== '');
  const at = new Date().toISOString();
  appendFileSync(
    kwok.attachLog,
    lines
      .map(
        (line) =>
          `${at} ${stream} ${line.endsWith('\n') ? 'F' : 'P'} ${line}${line.endsWith('\n') ? '' : '\n'}`,
      )
      .join(''),
  );
}

/** Waits until kwok reports each of `pods` in `namespace` Ready (it has started their containers). */
export async function waitForKwokPods(
  harness: { controlPlane: { kubectl: string; adminKubeconfig: string } },
  namespace: string,
  pods: string[],
): Promise<void> {
  for (const pod of pods) {
    const ready = await kubectl(harness, [
      'wait',
      '-n',
      namespace,
      '--for=condition=Ready',
      `pod/${pod}`,
      '--timeout=60s',
    ]);
    if (ready.code !== 0) throw new Error(`pod ${namespace}/${pod} did not become Ready: ${ready.stderr}`);
  }
}
