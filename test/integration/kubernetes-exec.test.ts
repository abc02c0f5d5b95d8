// kubectl exec through the sidecar for real: the real kubectl, the real kube-apiserver, and kwok
// as the kubelet, which runs the exec'd command as a local process. Every case runs over both
// wire protocols: WebSocket (kubectl's default) and SPDY/3.1 (KUBECTL_REMOTE_COMMAND_WEBSOCKETS=false).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect as netConnect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { SessionEvent } from '../../sidecar/enforcement/recorder.js';
import { MAX_CLIENT_MESSAGE_BYTES } from '../../sidecar/kubernetes/exec/handle-upgrade.js';
import { writeUserKubeconfig } from '../harness/kubeconfig.js';
import { startKwok, waitForKwokPods, type Kwok } from '../harness/kwok.js';
import { oidcToken } from '../harness/oidc-token.js';
import { kubectl as adminKubectl } from '../harness/run.js';
import {
  grantReviewers,
  revokeReviewers,
  setUpCrewNamespace,
  type CrewNamespace,
} from './support/approvals.js';
import { fixtureInNamespace } from './support/harness-enforcement.js';
import {
  createProxyAccount,
  REMOTE_COMMAND_PROTOCOLS as PROTOCOLS,
  startKubeProxy,
  type KubeProxyUnderTest,
} from './support/kubernetes-proxy.js';
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
let crew: CrewNamespace;
let proxy: KubeProxyUnderTest;
let analyst: string;
let reviewer: string;

const apply = async (manifest: string) => {
  const result = await adminKubectl(harness, ['apply', '-f', '-'], { input: manifest });
  if (result.code !== 0) throw new Error(result.stderr);
  return result;
};

beforeAll(async () => {
  const account = await createProxyAccount(harness, ns);
  kwok = await startKwok(harness, id);
  local = await startLocalOperator(harness, id, { CREWGATE_OPERATOR_USERNAME: 'crewgate-admin' });
  const policies = fixtureInNamespace('test/integration/fixtures/kube-exec-policies.yaml', agents);
  crew = await setUpCrewNamespace(harness, local, {
    namespace: agents,
    policies,
    connectionName: 'cluster',
    connection: `apiVersion: crewgate.dev/v1alpha1
kind: Connection
metadata: { name: cluster, namespace: ${agents} }
spec: { type: kubernetes, address: '${harness.controlPlane.server}', credentialsRef: { name: cluster-credentials } }`,
  });
  await grantReviewers(harness, `sre-${id}`, ['sre']);
  await apply(`apiVersion: v1
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
  proxy = await startKubeProxy(harness, account, {
    serveTls: true,
    approver: crew.approver,
    manifests: loadManifestsFromText(policies),
  });
  analyst = await oidcToken(harness.oidc, 'agent-analyst');
  reviewer = await writeUserKubeconfig(harness.controlPlane, 'sam', ['sre']);
  await waitForKwokPods(harness, ns, ['box', 'root-box']);
}, 120_000);

afterAll(async () => {
  await proxy?.listener.close();
  await local?.stop();
  await adminKubectl(harness, ['delete', 'namespace', ns, agents, '--wait=false']);
  await revokeReviewers(harness, `sre-${id}`);
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

const pendingRequest = () => crew.pendingRequest(15_000);
const review = (name: string, decision: 'Approve' | 'Deny', comment: string) =>
  crew.review(reviewer, name, decision, comment);
const approve = (name: string) => review(name, 'Approve', 'looked at it');

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
    expect(await crew.phase(request)).toBe('Executed');
  }, 60_000);
});

/** One upgrade request on a raw TLS connection to the sidecar, exactly as written. */
function rawUpgrade(path: string, headers: Record<string, string>) {
  const socket = tlsConnect({
    host: '127.0.0.1',
    port: proxy.listener.port,
    ca: readFileSync(harness.caCertificateFile, 'utf8'),
  });
  let received = Buffer.alloc(0);
  socket.on('data', (c: Buffer) => (received = Buffer.concat([received, c])));
  const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
  socket.on('error', () => undefined);
  const lines = [`GET ${path} HTTP/1.1`, 'Host: 127.0.0.1', `Authorization: Bearer ${analyst}`];
  for (const [k, v] of Object.entries(headers)) lines.push(`${k}: ${v}`);
  socket.write(`${lines.join('\r\n')}\r\n\r\n`);
  const head = async () => {
    await waitFor('a response head', () => received.includes('\r\n\r\n'));
    const end = received.indexOf('\r\n\r\n');
    return { head: received.subarray(0, end).toString('latin1'), rest: () => received.subarray(end + 4) };
  };
  return { socket, head, closed, received: () => received };
}

const webSocketHeaders = (protocol: string) => ({
  Connection: 'Upgrade',
  Upgrade: 'websocket',
  'Sec-WebSocket-Version': '13',
  'Sec-WebSocket-Key': randomBytes(16).toString('base64'),
  'Sec-WebSocket-Protocol': protocol,
});

/** A masked client frame. */
function clientFrame(opcode: number, payload: Buffer, lengthOverride?: number): Buffer {
  const mask = randomBytes(4);
  const length = lengthOverride ?? payload.length;
  const header =
    length < 126
      ? Buffer.from([0x80 | opcode, 0x80 | length])
      : Buffer.concat([
          Buffer.from([0x80 | opcode, 0x80 | 127]),
          (() => {
            const b = Buffer.alloc(8);
            b.writeBigUInt64BE(BigInt(length));
            return b;
          })(),
        ]);
  const masked = Buffer.from(payload.map((byte, i) => byte ^ mask[i % 4]!));
  return Buffer.concat([header, mask, masked]);
}

/** The close code in the server's frames, if it sent a close frame. */
function closeCode(frames: Buffer): number | undefined {
  let offset = 0;
  while (offset + 2 <= frames.length) {
    const opcode = frames[offset]! & 0x0f;
    let length = frames[offset + 1]! & 0x7f;
    let start = offset + 2;
    if (length === 126) {
      length = frames.readUInt16BE(start);
      start += 2;
    } else if (length === 127) {
      length = Number(frames.readBigUInt64BE(start));
      start += 8;
    }
    if (opcode === 0x8 && length >= 2) return frames.readUInt16BE(start);
    offset = start + length;
  }
  return undefined;
}

describe.each(PROTOCOLS)('a held exec over $name', ({ name, env }) => {
  it("is refused with the reviewer's comment when an SRE denies it, and never runs", async () => {
    const marker = join(kwok.workDir, `ran-${name.replace(/\W/g, '')}`);
    const run = proxy.kubectl(analyst, ['exec', '-i', 'root-box', '--', 'sh'], `touch ${marker}\n`, env);
    const request = await pendingRequest();
    expect((await review(request, 'Deny', 'not during the freeze')).stderr).toBe('');
    const result = await run;
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('not during the freeze');
    if (name === 'WebSocket') expect(result.stderr).toMatch(/waiting for approval: ApprovalRequest/);
    expect(existsSync(marker)).toBe(false);
    console.log(`${name}: a denied exec: ${result.stderr.trim()}`);
  }, 30_000);

  it('is withdrawn (Cancelled) when kubectl goes away while held, and nothing runs', async () => {
    const marker = join(kwok.workDir, `withdrawn-${name.replace(/\W/g, '')}`);
    const child = spawn(
      harness.controlPlane.kubectl,
      ['--kubeconfig', proxy.kubeconfig, '--token', analyst, '-n', ns, 'exec', '-i', 'root-box', '--', 'sh'],
      { env: { ...process.env, ...env } },
    );
    child.stdin.write(`touch ${marker}\n`);
    const exited = new Promise((resolve) => child.on('close', resolve));
    const request = await pendingRequest();
    child.kill('SIGKILL');
    await exited;
    expect(await crew.phaseReaching(request, 'Cancelled', 15_000)).toBe('Cancelled');
    // An approval that comes too late changes nothing: the exec is gone.
    await review(request, 'Approve', 'too late');
    await new Promise((r) => setTimeout(r, 500));
    expect(existsSync(marker)).toBe(false);
  }, 30_000);
});

describe('bad input on the upgrade path', () => {
  const execPath = () => `/api/v1/namespaces/${ns}/pods/box/exec?command=cat&stdin=true&stdout=true`;

  const statusOf = (head: string, body: Buffer) => ({
    status: Number(head.split(' ')[1]),
    body: JSON.parse(body.toString('utf8')) as {
      kind: string;
      reason: string;
      message: string;
      code: number;
    },
  });

  it('refuses an upgrade to an unknown protocol with a BadRequest Status', async () => {
    const c = rawUpgrade(execPath(), { Connection: 'Upgrade', Upgrade: 'h2c' });
    await c.closed;
    const { head, rest } = await c.head();
    const { status, body } = statusOf(head, rest());
    expect(status).toBe(400);
    expect(body).toMatchObject({ kind: 'Status', reason: 'BadRequest', code: 400 });
    expect(body.message).toMatch(/cannot upgrade to "h2c"/);
  });

  it('refuses a WebSocket offering no subprotocol crewgate can record, naming the ones it can', async () => {
    const c = rawUpgrade(execPath(), webSocketHeaders('chat.example.com'));
    await c.closed;
    const { head, rest } = await c.head();
    const { status, body } = statusOf(head, rest());
    expect(status).toBe(400);
    expect(body.message).toMatch(/chat\.example\.com.*v5\.channel\.k8s\.io/);
  });

  it('refuses an upgrade of anything but exec/attach/portforward, and a path that escapes', async () => {
    const list = rawUpgrade(`/api/v1/namespaces/${ns}/pods`, webSocketHeaders('v5.channel.k8s.io'));
    await list.closed;
    const listed = await list.head();
    expect(statusOf(listed.head, listed.rest()).status).toBe(400);
    const escape = rawUpgrade(
      `/api/v1/namespaces/${ns}/pods/box/exec/../../../../secrets?command=sh`,
      webSocketHeaders('v5.channel.k8s.io'),
    );
    await escape.closed;
    const escaped = await escape.head();
    const { status, body } = statusOf(escaped.head, escaped.rest());
    expect(status).toBe(403);
    expect(body.reason).toBe('Forbidden');
  });

  it('closes a stream with 1002 on a malformed frame (reserved opcode) and keeps serving others', async () => {
    const c = rawUpgrade(execPath(), webSocketHeaders('v5.channel.k8s.io'));
    const { head } = await c.head();
    expect(head).toMatch(/^HTTP\/1\.1 101/);
    expect(head.toLowerCase()).toContain('sec-websocket-protocol: v5.channel.k8s.io');
    c.socket.write(clientFrame(0x3, Buffer.from('what is this')));
    await c.closed;
    const { rest } = await c.head();
    expect(closeCode(rest())).toBe(1002);
    const still = await proxy.kubectl(analyst, ['exec', 'box', '--', 'echo', 'still serving']);
    expect(still.code, still.stderr).toBe(0);
    expect(still.stdout).toBe('still serving\n');
  });

  it('closes a stream with 1009 on a frame larger than the bound', async () => {
    const c = rawUpgrade(execPath(), webSocketHeaders('v4.channel.k8s.io'));
    const { head } = await c.head();
    expect(head).toMatch(/^HTTP\/1\.1 101/);
    const frame = clientFrame(0x2, Buffer.alloc(64), 2 * MAX_CLIENT_MESSAGE_BYTES);
    c.socket.write(frame);
    await c.closed;
    const { rest } = await c.head();
    expect(closeCode(rest())).toBe(1009);
  });

  it('closes a stream with 1008 on a message on a channel that does not exist (it could not be recorded)', async () => {
    const c = rawUpgrade(execPath(), webSocketHeaders('v5.channel.k8s.io'));
    const { head } = await c.head();
    expect(head).toMatch(/^HTTP\/1\.1 101/);
    c.socket.write(clientFrame(0x2, Buffer.from([9, 1, 2, 3])));
    // A clean close: the sidecar sends its close frame and waits for ours, as RFC 6455 asks.
    const { rest } = await c.head();
    await waitFor('a close frame', () => closeCode(rest()) !== undefined);
    expect(closeCode(rest())).toBe(1008);
    c.socket.end(clientFrame(0x8, Buffer.from([0x03, 0xf0])));
    await c.closed;
  });
});

describe.each([
  { name: 'WebSocket', env: { KUBECTL_PORT_FORWARD_WEBSOCKETS: 'true' } },
  { name: 'SPDY/3.1', env: { KUBECTL_PORT_FORWARD_WEBSOCKETS: 'false' } },
])('kubectl port-forward over $name', ({ env }) => {
  it('relays a tunnel to the pod and records its port and byte counts, never its bytes', async () => {
    const before = proxy.recorder.events.length;
    const child = spawn(
      harness.controlPlane.kubectl,
      ['--kubeconfig', proxy.kubeconfig, '--token', analyst, '-n', ns, 'port-forward', 'pod/box', ':7777'],
      { env: { ...process.env, ...env } },
    );
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    const exited = new Promise((resolve) => child.on('close', resolve));
    try {
      await waitFor('kubectl to listen', () => /Forwarding from 127\.0\.0\.1:(\d+) -> 7777/.test(out)).catch(
        (error: Error) => {
          throw new Error(`${error.message}; kubectl said: ${out}`);
        },
      );
      const localPort = Number(/Forwarding from 127\.0\.0\.1:(\d+)/.exec(out)![1]);
      const payload = `secret-payload-${id}\n`;
      const echoed = await new Promise<string>((resolve, reject) => {
        const socket = netConnect(localPort, '127.0.0.1', () => socket.write(payload));
        let got = '';
        socket.on('data', (c: Buffer) => {
          got += c.toString();
          if (got.length >= payload.length) {
            socket.end();
            resolve(got);
          }
        });
        socket.on('error', reject);
      });
      expect(echoed).toBe(payload);
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
    let result: SessionEvent | undefined;
    await waitFor('the port-forward result', () => {
      result = proxy.recorder.events
        .slice(before)
        .find((e) => e.type === 'result' && /^port-forward 7777:/.test(e.tag ?? ''));
      return result !== undefined;
    });
    const payloadBytes = Buffer.byteLength(`secret-payload-${id}\n`);
    expect(result).toMatchObject({
      tag: expect.stringMatching(
        new RegExp(
          `^port-forward 7777: \\d+ tunnel\\(s\\), ${payloadBytes} bytes to the pod, ${payloadBytes} bytes from the pod`,
        ),
      ),
    });
    const recorded = JSON.stringify(proxy.recorder.events.slice(before));
    expect(recorded).not.toContain('secret-payload');
    expect(recorded).not.toContain(Buffer.from(`secret-payload-${id}`).toString('base64').slice(0, 16));
    expect(
      proxy.recorder.events
        .slice(before)
        .find((e) => e.type === 'command' && e.commands[0]?.operations[0] === 'portforward'),
    ).toMatchObject({
      decision: { action: 'Allow' },
    });
  });
});
