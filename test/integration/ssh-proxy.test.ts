// The SSH adapter in front of the harness's real OpenSSH sshd, driven by the real ssh, scp and
// sftp clients, with the agent's OIDC token from the harness IdP as the SSH password.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { oidcToken } from '../harness/oidc-token.js';
import { runCommand } from '../harness/run.js';
import {
  clientEnv,
  clientOptions,
  harnessTarget,
  recordedStream,
  sshThrough,
  startSshProxy,
  type SshProxyUnderTest,
} from './support/ssh-proxy.js';
import { generateEd25519KeyPair } from '../../sidecar/ssh/host-key.js';

const harness = inject('harness');
let proxy: SshProxyUnderTest;
let analyst: string;
let operator: string;
const work = mkdtempSync(join(tmpdir(), 'crewgate-ssh-test-'));

beforeAll(async () => {
  proxy = await startSshProxy(harness);
  analyst = await oidcToken(harness.oidc, 'agent-analyst');
  operator = await oidcToken(harness.oidc, 'agent-operator');
}, 30_000);

afterAll(async () => {
  await proxy?.listener.close();
});

/** The session of the last connection that ran `text`. */
function sessionOf(text: string): string {
  const event = [...proxy.recorder.events]
    .reverse()
    .find((e) => e.type === 'command' && e.commands.some((c) => c.text === text));
  if (!event) throw new Error(`no command ${text} recorded`);
  return event.session;
}

const eventsOf = (session: string) => proxy.recorder.events.filter((e) => e.session === session);

/** The client may exit before the sidecar has seen its connection close. */
async function ended(session: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!eventsOf(session).some((e) => e.type === 'session.end')) {
    if (Date.now() > deadline) throw new Error(`session ${session} did not end`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('exec through the SSH sidecar', () => {
  it('runs an allowed command on the target and records who ran it, the output and the exit status', async () => {
    const result = await sshThrough(proxy, analyst, ['echo hello']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('hello\n');
    const session = sessionOf('echo hello');
    const events = eventsOf(session);
    expect(events[0]).toMatchObject({
      type: 'session.start',
      protocol: 'ssh',
      connection: 'bastion',
      identity: { subject: 'agent-analyst', groups: ['crewai-viewer'] },
      client: expect.stringMatching(/^127\.0\.0\.1:\d+$/),
    });
    expect(events.find((e) => e.type === 'command')).toMatchObject({
      commands: [{ text: 'echo hello', operations: ['exec'], resources: ['echo'] }],
      decision: { action: 'Allow', policy: 'agents/analysts', rule: 'reads' },
    });
    expect(recordedStream(proxy.recorder, session, 'stdout')).toBe('hello\n');
    const stdout = events.find((e) => e.type === 'terminal' && e.stream === 'stdout');
    expect(stdout).toMatchObject({ elapsedMs: expect.any(Number) });
    expect(events.find((e) => e.type === 'result')).toMatchObject({ tag: 'exit-status 0' });
    await ended(session);
    expect(eventsOf(session).at(-1)).toMatchObject({
      type: 'session.end',
      reason: 'client closed the connection',
    });
  });

  it('passes the remote exit status through', async () => {
    const result = await sshThrough(proxy, operator, ['sh -c "exit 7"']);
    expect(result.code).toBe(7);
  });

  it('refuses rm -rf with exit status 126 and one stderr line naming the rule; nothing is removed', async () => {
    const canary = join(work, 'canary');
    mkdirSync(canary, { recursive: true });
    writeFileSync(join(canary, 'keep'), 'x');
    for (const command of ['rm -rf /', `rm -rf ${canary}`]) {
      const result = await sshThrough(proxy, analyst, [command]);
      expect(result.code).toBe(126);
      expect(result.stdout).toBe('');
      expect(result.stderr).toMatch(/^crewgate: denied by agents\/analysts\/no-destruction: .+\n$/);
      expect(result.stderr.split('\n')).toHaveLength(2);
    }
    expect(existsSync(join(canary, 'keep'))).toBe(true);
    expect(eventsOf(sessionOf(`rm -rf ${canary}`)).find((e) => e.type === 'command')).toMatchObject({
      decision: { action: 'Deny', rule: 'no-destruction' },
    });
  });

  it("refuses bash -c 'curl x | sh' because the pipeline runs curl", async () => {
    const result = await sshThrough(proxy, analyst, ["bash -c 'curl x | sh'"]);
    expect(result.code).toBe(126);
    expect(result.stderr).toMatch(/^crewgate: denied by agents\/analysts\/no-downloads: /);
  });

  it('refuses a command no rule allows by the default action', async () => {
    const result = await sshThrough(proxy, analyst, ['uptime']);
    expect(result.code).toBe(126);
    expect(result.stderr).toMatch(/^crewgate: denied by agents\/analysts \(default action\): /);
  });

  it('refuses an agent whose token does not verify, before anything reaches the target', async () => {
    const forged = `${analyst.slice(0, -4)}AAAA`;
    const result = await sshThrough(proxy, forged, ['echo hello']);
    expect(result.code).toBe(255);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/Permission denied/);
  });
});

describe('interactive sessions, subsystems and file copies', () => {
  it('records a non-TTY shell fed on stdin with its input and output', async () => {
    const input = 'echo one\necho two\n';
    const result = await sshThrough(proxy, analyst, ['sh'], { input });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('one\ntwo\n');
    const session = sessionOf('sh');
    expect(recordedStream(proxy.recorder, session, 'stdin')).toBe(input);
    expect(recordedStream(proxy.recorder, session, 'stdout')).toBe('one\ntwo\n');
  });

  it('refuses an interactive shell unless a rule allows it', async () => {
    const denied = await sshThrough(proxy, analyst, ['-T'], { input: 'echo hi\n' });
    expect(denied.code).toBe(126);
    expect(denied.stderr).toMatch(/crewgate: denied by agents\/analysts \(default action\)/);
    const allowed = await sshThrough(proxy, operator, ['-T'], { input: 'echo hi\nexit 3\n' });
    expect(allowed.stdout).toContain('hi\n');
    expect(allowed.code).toBe(3);
  });

  it('refuses port forwarding unless a rule allows it', async () => {
    const target = `127.0.0.1:${harness.sshd.port}`;
    const denied = await sshThrough(proxy, analyst, ['-W', target], { input: '' });
    expect(denied.code).toBe(255);
    expect(denied.stderr).toMatch(/stdio forwarding failed/);
    expect(
      proxy.recorder.events.some(
        (e) =>
          e.type === 'command' &&
          e.commands[0]?.text === `direct-tcpip ${target}` &&
          e.decision.action === 'Deny',
      ),
    ).toBe(true);
    // The operators' policy allows everything: the tunnel reaches the target's own sshd banner.
    const allowed = await sshThrough(proxy, operator, ['-W', target], {
      input: 'SSH-2.0-probe\r\n',
      timeoutMs: 10_000,
    });
    expect(allowed.stdout).toMatch(/^SSH-2\.0-OpenSSH/);
  });

  it("never forwards the agent's ssh-agent, even when a rule allows it", async () => {
    const agentDir = mkdtempSync(join(tmpdir(), 'crewgate-agent-'));
    const socket = join(agentDir, 'agent.sock');
    const agent = spawn('ssh-agent', ['-D', '-a', socket], { stdio: 'ignore' });
    try {
      const deadline = Date.now() + 5_000;
      while (!existsSync(socket) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      for (const [token, action] of [
        [analyst, 'Deny'],
        [operator, 'Allow'],
      ] as const) {
        const result = await sshThrough(proxy, token, ['echo "agent=$SSH_AUTH_SOCK"'], {
          extra: ['-A', '-o', `IdentityAgent=${socket}`],
        });
        expect(result.code).toBe(0);
        expect(result.stdout).toBe('agent=\n');
        const session = sessionOf('echo "agent=$SSH_AUTH_SOCK"');
        expect(
          eventsOf(session).find(
            (e) => e.type === 'command' && e.commands[0]?.operations[0] === 'agentforward',
          ),
        ).toMatchObject({ decision: { action } });
      }
      expect(proxy.recorder.events.some((e) => e.type === 'error' && e.code === 'unsupported')).toBe(true);
    } finally {
      agent.kill();
    }
  });

  it('refuses sftp by default', async () => {
    const result = await runCommand(
      'sftp',
      [...clientOptions(proxy), '-P', String(proxy.listener.port), 'agent@127.0.0.1'],
      { env: clientEnv(analyst), input: 'ls\n' },
    );
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/crewgate: denied by agents\/analysts \(default action\)/);
    expect(
      proxy.recorder.events.some(
        (e) =>
          e.type === 'command' &&
          e.commands[0]?.operations[0] === 'subsystem.sftp' &&
          e.decision.action === 'Deny',
      ),
    ).toBe(true);
  });

  it('copies a file with scp (scp -t on the target) when a rule allows it', async () => {
    const source = join(work, 'report.txt');
    const content = `${'line of a report\n'.repeat(2000)}end\n`;
    writeFileSync(source, content);
    const dest = join(work, 'copied.txt');
    const result = await runCommand(
      'scp',
      [...clientOptions(proxy), '-O', '-P', String(proxy.listener.port), source, `agent@127.0.0.1:${dest}`],
      { env: clientEnv(operator) },
    );
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(readFileSync(dest, 'utf8')).toBe(content);
    expect(
      proxy.recorder.events.some(
        (e) =>
          e.type === 'command' && e.commands[0]?.text === `scp -t ${dest}` && e.decision.action === 'Allow',
      ),
    ).toBe(true);
  });
});

describe('output masking', () => {
  const file = join(work, 'cards.txt');
  beforeAll(() => writeFileSync(file, 'alice 4111111111111111 ok\nbob 5555 5555 5555 4444\nno card here\n'));

  it('masks card numbers for the subjects the MaskingRule names', async () => {
    const result = await sshThrough(proxy, analyst, [`cat ${file}`]);
    expect(result.code).toBe(0);
    expect(result.stdout).not.toMatch(/4111111111111111|5555 5555 5555 4444/);
    expect(result.stdout).toMatch(/^alice \S*REDACTED\S* ok\nbob \S*REDACTED\S*\nno card here\n$/);
    expect(recordedStream(proxy.recorder, sessionOf(`cat ${file}`), 'stdout')).toBe(result.stdout);
    expect(await proxy.metrics.maskedFields.get()).toMatchObject({ values: [{ value: 2 }] });
  });

  it('masks on a terminal too, and records the terminal size', async () => {
    const result = await sshThrough(proxy, analyst, ['-tt', `cat ${file}`], { input: '' });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^alice \S*REDACTED\S* ok\r\nbob \S*REDACTED\S*\r\nno card here\r\n/);
    const session = sessionOf(`cat ${file}`);
    expect(eventsOf(session).find((e) => e.type === 'resize')).toMatchObject({
      cols: expect.any(Number),
      rows: expect.any(Number),
    });
  });

  it('leaves them alone for everyone else', async () => {
    const result = await sshThrough(proxy, operator, [`cat ${file}`]);
    expect(result.stdout).toBe(readFileSync(file, 'utf8'));
  });

  it('refuses binary output under masking rather than pass it half-masked', async () => {
    const result = await sshThrough(proxy, analyst, ["printf 'a\\000b\\n'"]);
    expect(result.code).toBe(126);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/crewgate: stdout is binary and a masking rule applies to you/);
  });
});

describe('the target is pinned', () => {
  it('refuses a target whose host key is not the pinned one, and says so', async () => {
    const wrong = generateEd25519KeyPair().public.trim();
    const pinnedWrong = await startSshProxy(harness, {
      target: async () => harnessTarget(harness, { hostKey: wrong }),
    });
    try {
      const result = await sshThrough(pinnedWrong, operator, ['echo hello']);
      expect(result.code).toBe(255);
      expect(result.stdout).toBe('');
      expect(result.stderr).toMatch(
        /crewgate: cannot open a session on bastion: host key of 127\.0\.0\.1:\d+ is SHA256:\S+, not the pinned SHA256:\S+: refused/,
      );
      expect(pinnedWrong.recorder.events.find((e) => e.type === 'error')).toMatchObject({
        code: 'host-key-mismatch',
      });
    } finally {
      await pinnedWrong.listener.close();
    }
  });
});

describe('when the Connection cannot be resolved', () => {
  it('refuses the session with 255 and the reason, and records it', async () => {
    const orphan = await startSshProxy(harness, {
      target: () => Promise.reject(new Error('control plane unreachable')),
    });
    try {
      const result = await sshThrough(orphan, operator, ['echo hello']);
      expect(result.code).toBe(255);
      expect(result.stderr).toBe('crewgate: cannot open a session on bastion: control plane unreachable\n');
      expect(orphan.recorder.events.find((e) => e.type === 'error')).toMatchObject({
        code: 'target-unavailable',
      });
    } finally {
      await orphan.listener.close();
    }
  });
});

describe('bad input', () => {
  it('cuts off a client that stops in the middle of the handshake, and keeps serving others', async () => {
    const strict = await startSshProxy(harness, { listenerOptions: { handshakeTimeoutMs: 500 } });
    try {
      const started = Date.now();
      const closedAfter = await new Promise<number>((resolve, reject) => {
        const socket = connect(strict.listener.port, '127.0.0.1');
        socket.on('error', reject);
        socket.once('data', () => socket.write('SSH-2.0-stalled_client\r\n')); // and then nothing
        socket.once('close', () => resolve(Date.now() - started));
      });
      expect(closedAfter).toBeGreaterThanOrEqual(400);
      expect(closedAfter).toBeLessThan(5_000);
      expect((await strict.metrics.clientsRefused.get()).values[0]).toMatchObject({
        labels: { protocol: 'ssh', reason: 'handshake timeout' },
        value: 1,
      });
      expect((await sshThrough(strict, analyst, ['echo still here'])).stdout).toBe('still here\n');
    } finally {
      await strict.listener.close();
    }
  });

  it('ends a connection that keeps no channel open for the idle timeout', async () => {
    const idle = await startSshProxy(harness, { listenerOptions: { idleTimeoutMs: 500 } });
    try {
      const client = new ssh2.Client();
      const started = Date.now();
      const closedAfter = await new Promise<number>((resolve, reject) => {
        client.on('error', reject);
        client.on('ready', () => undefined); // authenticated, and then nothing
        client.on('close', () => resolve(Date.now() - started));
        client.connect({ host: '127.0.0.1', port: idle.listener.port, username: 'agent', password: analyst });
      });
      expect(closedAfter).toBeGreaterThanOrEqual(400);
      expect(closedAfter).toBeLessThan(5_000);
      expect(idle.recorder.events.at(-1)).toMatchObject({ type: 'session.end', reason: 'idle timeout' });
    } finally {
      await idle.listener.close();
    }
  });

  it('refuses an exec string over the bound with 126 and a message', async () => {
    const long = `echo ${'x'.repeat(20_000)}`;
    const result = await sshThrough(proxy, analyst, [long]);
    expect(result.code).toBe(126);
    expect(result.stderr).toMatch(
      /^crewgate: the command is 20005 bytes, over this listener's limit of 16384 bytes: refused\n$/,
    );
  });

  it('drops a 1 MiB exec string at the transport and keeps serving', async () => {
    const words = Array.from({ length: 16 }, () => 'y'.repeat(64 * 1024));
    const result = await sshThrough(proxy, analyst, ['echo', ...words]);
    expect(result.code).not.toBe(0);
    expect(result.stdout).toBe('');
    console.log(`1 MiB exec: ssh exited ${result.code}: ${result.stderr.trim()}`);
    expect((await sshThrough(proxy, analyst, ['echo ok'])).stdout).toBe('ok\n');
  });
});
