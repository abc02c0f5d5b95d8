// kubectl exec through the sidecar for real: the real kubectl, the real kube-apiserver, and kwok
// as the kubelet, which runs the exec'd command as a local process. Every case runs over both
// wire protocols: WebSocket (kubectl's default) and SPDY/3.1 (KUBECTL_REMOTE_COMMAND_WEBSOCKETS=false).
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ControlPlaneApprover } from '../../sidecar/control-plane/control-plane-approver.js';
import type { SessionEvent } from '../../sidecar/enforcement/recorder.js';
import { writeUserKubeconfig } from '../harness/kubeconfig.js';
import { startKwok, type Kwok } from '../harness/kwok.js';
import { oidcToken } from '../harness/oidc-token.js';
import { repositoryRoot } from '../harness/paths.js';
import { kubectl as adminKubectl } from '../harness/run.js';
import { createProxyAccount, startKubeProxy, type KubeProxyUnderTest } from './support/kubernetes-proxy.js';
import { startLocalOperator, type LocalOperator } from './support/local-operator.js';
import { loadManifestsFromText } from './support/postgres-proxy.js';

const harness = inject('harness');
const id = `${Date.now()}`;
/** Where the pods live (the Connection's service account may do anything here). */
const ns = `kube-exec-${id}`;
/** Where the operator sees the policies, the Connection and the agent's pod, and files ApprovalRequests. */
const agents = `agents-exec-${id}`;
let kwok: Kwok;
let local: LocalOperator;
let proxy: KubeProxyUnderTest;
let analyst: string;
let reviewer: string;

const apply = async (manifest: string) => {
  const result = await adminKubectl(harness, ['apply', '-f', '-'], { input: manifest });
  if (result.code !== 0) throw new Error(result.stderr);
  return result;
};

const PROTOCOLS = [
  { name: 'WebSocket', env: { KUBECTL_REMOTE_COMMAND_WEBSOCKETS: 'true' } },
  { name: 'SPDY/3.1', env: { KUBECTL_REMOTE_COMMAND_WEBSOCKETS: 'false' } },
] as const;

beforeAll(async () => {
  const account = await createProxyAccount(harness, ns);
  kwok = await startKwok(harness, id);
  local = await startLocalOperator(harness, id, { CREWGATE_OPERATOR_USERNAME: 'crewgate-admin' });
  const policies = readFileSync(
    join(repositoryRoot, 'test/integration/fixtures/kube-exec-policies.yaml'),
    'utf8',
  ).replaceAll('namespace: agents', `namespace: ${agents}`);
  await apply(
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: agents, labels: { 'crewgate-test': id, 'crewgate.dev/inject': 'enabled' } },
    }),
  );
  await adminKubectl(harness, ['create', 'serviceaccount', 'research-crew', '-n', agents]);
  await apply(`${policies}
---
apiVersion: crewgate.dev/v1alpha1
kind: Connection
metadata: { name: cluster, namespace: ${agents} }
spec: { type: kubernetes, address: '${harness.controlPlane.server}', credentialsRef: { name: cluster-credentials } }
---
apiVersion: crewgate.dev/v1alpha1
kind: AccessPolicy
metadata: { name: crew-pod, namespace: ${agents} }
spec:
  subjects: [{ serviceAccount: { name: research-crew } }]
  connections: [cluster]
  defaultAction: Deny
---
apiVersion: v1
kind: Pod
metadata: { name: crew-0, namespace: ${agents}, annotations: { crewgate.dev/connections: cluster } }
spec:
  serviceAccountName: research-crew
  containers: [{ name: agent, image: python:3.12 }]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: { name: crewgate-sre-${id} }
rules: [{ apiGroups: [crewgate.dev], resources: [approvalrequests], verbs: [get, list, watch, patch] }]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: { name: crewgate-sre-${id} }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: crewgate-sre-${id} }
subjects: [{ apiGroup: rbac.authorization.k8s.io, kind: Group, name: sre }]
---
apiVersion: v1
kind: Pod
metadata: { name: box, namespace: ${ns} }
spec:
  nodeName: ${kwok.nodeName}
  containers: [{ name: shell, image: busybox }]
---
apiVersion: v1
kind: Pod
metadata: { name: root-box, namespace: ${ns} }
spec:
  nodeName: ${kwok.nodeName}
  hostPID: true
  containers: [{ name: shell, image: busybox, securityContext: { privileged: true } }]
`);
  const token = (
    await adminKubectl(harness, [
      'create',
      'token',
      'research-crew',
      '-n',
      agents,
      '--audience=crewgate',
      '--bound-object-kind=Pod',
      '--bound-object-name=crew-0',
    ])
  ).stdout.trim();
  const tokenFile = join(mkdtempSync(join(tmpdir(), 'crewgate-sidecar-token-')), 'token');
  writeFileSync(tokenFile, token);
  const approver = new ControlPlaneApprover({
    url: local.sidecarApiUrl,
    tokenFile,
    caCertificates: [local.operator.caCertificatePem],
  });
  proxy = await startKubeProxy(harness, account, {
    serveTls: true,
    approver,
    manifests: loadManifestsFromText(policies),
  });
  analyst = await oidcToken(harness.oidc, 'agent-analyst');
  reviewer = await writeUserKubeconfig(harness.controlPlane, 'sam', ['sre']);
  for (const pod of ['box', 'root-box']) {
    const ready = await adminKubectl(harness, [
      'wait',
      '-n',
      ns,
      '--for=condition=Ready',
      `pod/${pod}`,
      '--timeout=60s',
    ]);
    expect(ready.code, ready.stderr).toBe(0);
  }
}, 120_000);

afterAll(async () => {
  await proxy?.listener.close();
  await local?.stop();
  await adminKubectl(harness, ['delete', 'namespace', ns, agents, '--wait=false']);
  await kwok?.stop();
});

/** Events of the sessions that carried an exec (the upgrade's own connection). */
function execSessions(): Map<string, SessionEvent[]> {
  const bySession = new Map<string, SessionEvent[]>();
  for (const { session, ...event } of proxy.recorder.events) {
    bySession.set(session, [...(bySession.get(session) ?? []), event as SessionEvent]);
  }
  for (const [session, events] of bySession)
    if (!events.some((e) => e.type === 'command' && e.commands.some((c) => c.operations.includes('exec'))))
      bySession.delete(session);
  return bySession;
}

const text = (e: SessionEvent) =>
  e.type === 'terminal' ? Buffer.from(e.data, 'base64').toString('utf8') : '';

/** The events of the one exec session started since `before`, once its outcome is recorded. */
async function newExecSession(before: Set<string>): Promise<SessionEvent[]> {
  let events: SessionEvent[] | undefined;
  await waitFor('the exec session and its outcome', () => {
    events = [...execSessions()].find(([s]) => !before.has(s))?.[1];
    return events?.some((e) => e.type === 'result' && /^exit status|^exec failed/.test(e.tag ?? '')) ?? false;
  });
  return events!;
}

async function pendingRequest(): Promise<string> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    const names = (
      await adminKubectl(harness, [
        'get',
        'approvalrequests',
        '-n',
        agents,
        '-o',
        'jsonpath={range .items[?(@.status.phase=="Pending")]}{.metadata.name} {end}',
      ])
    ).stdout.trim();
    if (names) return names.split(' ')[0]!;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('no pending ApprovalRequest appeared');
}

const approve = (name: string) =>
  adminKubectl(
    harness,
    [
      'patch',
      'approvalrequest',
      name,
      '-n',
      agents,
      '--type=json',
      '-p',
      JSON.stringify([
        { op: 'add', path: '/spec/reviews/-', value: { decision: 'Approve', comment: 'looked at it' } },
      ]),
    ],
    { kubeconfig: reviewer },
  );

/** kubectl with a real terminal on stdin (`script` gives it a pty), so `-t` really asks for a TTY. */
function kubectlWithTty(args: string[], env: Record<string, string>) {
  const quote = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;
  const line = [
    harness.controlPlane.kubectl,
    '--kubeconfig',
    proxy.kubeconfig,
    '--token',
    analyst,
    '-n',
    ns,
    ...args,
  ]
    .map(quote)
    .join(' ');
  const child = spawn('script', ['-qfec', line, '/dev/null'], {
    env: { ...process.env, ...env, TERM: 'dumb' },
  });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
  child.stderr.on('data', (c: Buffer) => (out += c.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  return { child, output: () => out, exited };
}

async function waitFor(what: string, check: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe.each(PROTOCOLS)('kubectl exec over $name', ({ name, env }) => {
  it("refuses `rm -rf /data` by rule with kubectl printing crewgate's Forbidden Status; nothing runs", async () => {
    mkdirSync(join(kwok.workDir, 'data'), { recursive: true });
    writeFileSync(join(kwok.workDir, 'data', 'keep'), 'x');
    const before = proxy.recorder.events.length;
    const result = await proxy.kubectl(
      analyst,
      ['exec', 'box', '--', 'rm', '-rf', '/data', 'data'],
      undefined,
      env,
    );
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(
      /crewgate: Denied by rule "no-rm" of AccessPolicy agents-exec-\d+\/kube-exec-crew/,
    );
    expect(existsSync(join(kwok.workDir, 'data', 'keep'))).toBe(true);
    const events = proxy.recorder.events.slice(before);
    const command = events.find(
      (e) => e.type === 'command' && e.commands.some((c) => c.operations.includes('exec')),
    );
    expect(command).toMatchObject({
      commands: [{ text: 'rm -rf /data data', operations: ['exec'], resources: ['pods/exec', 'program:rm'] }],
      decision: { action: 'Deny', rule: 'no-rm' },
    });
    expect(events.some((e) => e.type === 'terminal')).toBe(false);
    console.log(`${name}: kubectl said: ${result.stderr.trim()}`);
  });

  it('records an allowed non-TTY `exec -i -- sh` with its commands on stdin, its output and exit status', async () => {
    const before = new Set(execSessions().keys());
    const script = `echo "hello from $CREWGATE_KWOK"\necho oops >&2\nprintf 'exit-%s\\n' "$((6*7))"\nexit 0\n`;
    const result = await proxy.kubectl(analyst, ['exec', '-i', 'box', '--', 'sh'], script, env);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe(`hello from ${id}\nexit-42\n`);
    expect(result.stderr).toBe('oops\n');
    const events = await newExecSession(before);
    expect(events.find((e) => e.type === 'command')).toMatchObject({
      commands: [{ text: 'sh', operations: ['exec'], resources: ['pods/exec', 'program:sh'] }],
      decision: { action: 'Allow', rule: 'exec' },
    });
    const stream = (s: string) =>
      events
        .filter((e) => e.type === 'terminal' && e.stream === s)
        .map(text)
        .join('');
    expect(stream('stdin')).toBe(script);
    expect(stream('stdout')).toBe(`hello from ${id}\nexit-42\n`);
    expect(stream('stderr')).toBe('oops\n');
    expect(events.filter((e) => e.type === 'result').at(-1)).toEqual({
      type: 'result',
      tag: 'exit status 0',
    });
    const elapsed = events
      .filter((e) => e.type === 'terminal')
      .map((e) => (e.type === 'terminal' ? e.elapsedMs : -1));
    expect(elapsed.every((ms) => ms >= 0)).toBe(true);
  });

  it('holds `exec -it` into a privileged pod until an SRE approves, then runs it with a TTY and records it', async () => {
    const before = new Set(execSessions().keys());
    const tty = kubectlWithTty(['exec', '-it', 'root-box', '--', 'sh'], env);
    const request = await pendingRequest();
    if (name === 'WebSocket')
      await waitFor('the waiting notice', () => tty.output().includes(`waiting for approval`));
    expect(tty.child.exitCode).toBeNull(); // still held
    expect((await approve(request)).stderr).toBe('');
    tty.child.stdin.write('echo approved-$((6*7))\n');
    await waitFor('the approved shell', () => tty.output().includes('approved-42'), 20_000);
    tty.child.stdin.write('exit\n');
    expect(await tty.exited).toBe(0);
    const events = await newExecSession(before);
    expect(events.find((e) => e.type === 'command')).toMatchObject({
      commands: [{ text: 'sh', operations: ['exec'] }],
      decision: { action: 'Allow', rule: 'privileged-needs-an-sre' },
      approval: expect.stringContaining(request),
    });
    const stdin = events
      .filter((e) => e.type === 'terminal' && e.stream === 'stdin')
      .map(text)
      .join('');
    expect(stdin).toContain('echo approved-$((6*7))');
    expect(
      events
        .filter((e) => e.type === 'terminal' && e.stream === 'stdout')
        .map(text)
        .join(''),
    ).toContain('approved-42');
    expect(events.some((e) => e.type === 'resize')).toBe(true);
    const phase = (
      await adminKubectl(harness, [
        'get',
        'approvalrequest',
        request,
        '-n',
        agents,
        '-o',
        'jsonpath={.status.phase}',
      ])
    ).stdout;
    expect(phase).toBe('Executed');
  }, 60_000);
});
