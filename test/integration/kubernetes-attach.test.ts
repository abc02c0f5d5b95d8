// kubectl attach through the sidecar for real: the real kubectl, the real kube-apiserver, and kwok
// as the kubelet. kwok's attach follows a CRI log file (see test/harness/kwok.ts), so the
// "container" here writes by appending lines to that file; what kubectl prints and what the
// sidecar records are what kwok streamed. Every case runs over WebSocket (kubectl's default) and
// SPDY/3.1 (KUBECTL_REMOTE_COMMAND_WEBSOCKETS=false).
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { SessionEvent } from '../../sidecar/enforcement/recorder.js';
import { appendAttachLog, startKwok, waitForKwokPods, type Kwok } from '../harness/kwok.js';
import { oidcToken } from '../harness/oidc-token.js';
import { kubectl as adminKubectl } from '../harness/run.js';
import { loadManifestsFromText, fixtureInNamespace } from './support/harness-enforcement.js';
import {
  createProxyAccount,
  REMOTE_COMMAND_PROTOCOLS as PROTOCOLS,
  startKubeProxy,
  type KubeProxyUnderTest,
} from './support/kubernetes-proxy.js';

const harness = inject('harness');
const id = `${Date.now()}`;
const ns = `kube-attach-${id}`;
let kwok: Kwok;
let proxy: KubeProxyUnderTest;
let analyst: string;

beforeAll(async () => {
  const account = await createProxyAccount(harness, ns);
  kwok = await startKwok(harness, id);
  const pods = ['box', 'vault']
    .map(
      (pod) => `apiVersion: v1
kind: Pod
metadata: { name: ${pod}, namespace: ${ns} }
spec:
  nodeName: ${kwok.nodeName}
  containers: [{ name: app, image: busybox, stdin: true }]`,
    )
    .join('\n---\n');
  const applied = await adminKubectl(harness, ['apply', '-f', '-'], { input: pods });
  expect(applied.code, applied.stderr).toBe(0);
  proxy = await startKubeProxy(harness, account, {
    serveTls: true,
    manifests: loadManifestsFromText(
      fixtureInNamespace('test/integration/fixtures/kube-attach-policies.yaml', ns),
    ),
  });
  analyst = await oidcToken(harness.oidc, 'agent-analyst');
  await waitForKwokPods(harness, ns, ['box', 'vault']);
}, 120_000);

afterAll(async () => {
  await proxy?.listener.close();
  await adminKubectl(harness, ['delete', 'namespace', ns, '--wait=false']);
  await kwok?.stop();
});

async function waitFor(what: string, check: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Events of the sessions that carried an attach, by session. */
function attachSessions(): Map<string, SessionEvent[]> {
  const bySession = new Map<string, SessionEvent[]>();
  for (const { session, ...event } of proxy.recorder.events)
    bySession.set(session, [...(bySession.get(session) ?? []), event as SessionEvent]);
  for (const [session, events] of bySession)
    if (!events.some((e) => e.type === 'command' && e.commands.some((c) => c.operations.includes('attach'))))
      bySession.delete(session);
  return bySession;
}

const recorded = (events: SessionEvent[], stream: string) =>
  events
    .filter((e) => e.type === 'terminal' && e.stream === stream)
    .map((e) => (e.type === 'terminal' ? Buffer.from(e.data, 'base64').toString('utf8') : ''))
    .join('');

/**
 * Runs `kubectl attach box -c app` (plus `extra` flags) through the sidecar until the attached
 * stream is there, then has the container write `said` to stdout and `complained` to stderr,
 * sends `stdin` if given, stops kubectl once it printed both, and returns what kubectl printed
 * and the attach session's recorded events.
 */
async function attachOnce(
  env: Record<string, string>,
  tag: string,
  lines: { said: string; complained: string },
  options: { extra?: string[]; stdin?: string } = {},
): Promise<{ stdout: string; stderr: string; events: SessionEvent[] }> {
  const before = new Set(attachSessions().keys());
  const child = spawn(
    harness.controlPlane.kubectl,
    [
      '--kubeconfig',
      proxy.kubeconfig,
      '--token',
      analyst,
      '-n',
      ns,
      'attach',
      'box',
      '-c',
      'app',
      ...(options.extra ?? []),
    ],
    { env: { ...process.env, ...env } },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
  const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
  try {
    // kwok follows the log from its end once the attach reaches it: until kubectl shows a
    // line, the stream is not there yet, so keep writing one.
    let n = 0;
    await waitFor(
      'the attached stream',
      () => {
        if (stdout.includes(`ready-${tag}`)) return true;
        if (n++ % 4 === 0) appendAttachLog(kwok, 'stdout', `ready-${tag}-${n}\n`);
        return false;
      },
      20_000,
    ).catch((error: Error) => {
      throw new Error(`${error.message}; kubectl said: ${stdout}${stderr}`);
    });
    if (options.stdin !== undefined) {
      const typed = options.stdin;
      child.stdin.write(typed);
      await waitFor('the stdin to reach the sidecar', () =>
        recorded(proxy.recorder.events, 'stdin').includes(typed),
      );
    }
    appendAttachLog(kwok, 'stdout', lines.said);
    appendAttachLog(kwok, 'stderr', lines.complained);
    await waitFor(
      'the lines on kubectl',
      () => stdout.includes(lines.said) && stderr.includes(lines.complained),
    );
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
  let events: SessionEvent[] | undefined;
  await waitFor('the attach session and its end', () => {
    events = [...attachSessions()].find(([s]) => !before.has(s))?.[1];
    return events?.some((e) => e.type === 'result') ?? false;
  });
  return { stdout, stderr, events: events! };
}

describe.each(PROTOCOLS)('kubectl attach over $name', ({ name, env }) => {
  const tag = name.replace(/\W/g, '');

  it("relays the container's output to kubectl and records what the attached stream delivered", async () => {
    const said = `hello-${tag}-${id}\n`;
    const complained = `warning-${tag}-${id}\n`;
    const { stdout, events } = await attachOnce(env, tag, { said, complained });
    expect(events.find((e) => e.type === 'command')).toMatchObject({
      commands: [{ operations: ['attach'], resources: ['pods/attach'] }],
      decision: { action: 'Allow', rule: 'attach' },
    });
    const out = recorded(events, 'stdout');
    expect(out).toMatch(new RegExp(`^(ready-${tag}-\\d+\\n)+${said}$`));
    expect(stdout).toBe(out);
    expect(recorded(events, 'stderr')).toBe(complained);
    expect(recorded(events, 'stdin')).toBe('');
    console.log(`${name}: attach recorded ${out.split('\n').length - 1} stdout line(s)`);
  }, 40_000);

  it('records what `attach -i` sends on stdin, although kwok never reads it', async () => {
    const typed = `typed-${tag}-${id}\n`;
    const { events } = await attachOnce(
      env,
      `${tag}i`,
      { said: `said-${tag}-${id}\n`, complained: `err-${tag}-${id}\n` },
      { extra: ['-i'], stdin: typed },
    );
    expect(events.find((e) => e.type === 'command')).toMatchObject({
      commands: [{ operations: ['attach'] }],
      decision: { action: 'Allow' },
    });
    expect(recorded(events, 'stdin')).toBe(typed);
    expect(recorded(events, 'stdout')).toContain(`said-${tag}-${id}\n`);
  }, 40_000);

  it("refuses an attach a rule denies, with kubectl printing crewgate's Forbidden Status", async () => {
    const before = proxy.recorder.events.length;
    const result = await proxy.kubectl(analyst, ['attach', 'vault', '-c', 'app'], undefined, env);
    expect(result.code).not.toBe(0);
    // kubectl prints a refused upgrade's Status by its message.
    expect(result.stderr).toMatch(
      /^error: unable to upgrade connection: crewgate: Denied by rule "no-attach-to-vault" of AccessPolicy kube-attach-\d+\/kube-attach-crew\.$/m,
    );
    const events = proxy.recorder.events.slice(before);
    expect(
      events.find((e) => e.type === 'command' && e.commands.some((c) => c.operations.includes('attach'))),
    ).toMatchObject({
      commands: [{ operations: ['attach'], resources: ['pods/attach'] }],
      decision: { action: 'Deny', rule: 'no-attach-to-vault' },
    });
    expect(events.some((e) => e.type === 'terminal')).toBe(false);
    console.log(`${name}: kubectl said: ${result.stderr.trim()}`);
  });
});
