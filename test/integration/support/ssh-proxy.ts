/**
 * Starts the sidecar's SSH adapter in the test process in front of the harness's real OpenSSH
 * sshd, with real token verification, the real Enforcer and the policies of a fixture file, and
 * runs the real OpenSSH clients (ssh, scp, sftp) through it. The agent's token reaches ssh the way
 * a script would give it: SSH_ASKPASS with SSH_ASKPASS_REQUIRE=force.
 */
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ResolvedTarget, RunningListener } from '../../../sidecar/adapters/protocol-adapter.js';
import type { Approver } from '../../../sidecar/enforcement/approver.js';
import type { SidecarMetrics } from '../../../sidecar/enforcement/metrics.js';
import type { MemoryRecorder } from '../../../sidecar/enforcement/recorder.js';
import { silentLogger } from '../../../sidecar/logging.js';
import { sshAdapter } from '../../../sidecar/ssh/adapter.js';
import type { HarnessInfo } from '../../harness/index.js';
import { runCommand, type RunResult } from '../../harness/run.js';
import { harnessEnforcement, harnessVerifier, type Manifests } from './harness-enforcement.js';
import { generateEd25519KeyPair } from '../../../sidecar/ssh/host-key.js';

export interface SshProxyUnderTest {
  listener: RunningListener;
  recorder: MemoryRecorder;
  metrics: SidecarMetrics;
  /** known_hosts naming the listener's own host key, as an injected ssh config would. */
  knownHostsFile: string;
}

/** The harness sshd as a Connection `bastion` would describe it, with its client key as the Secret. */
export function harnessTarget(harness: HarnessInfo, overrides: { hostKey?: string } = {}): ResolvedTarget {
  const sshd = harness.sshd;
  return {
    spec: {
      type: 'ssh',
      address: `${sshd.host}:${sshd.port}`,
      ssh: { user: sshd.user, hostKey: overrides.hostKey ?? sshd.hostPublicKey },
    },
    credentials: { privateKey: readFileSync(sshd.clientKeyFile, 'utf8') },
  };
}

export async function startSshProxy(
  harness: HarnessInfo,
  options: {
    manifests?: Manifests;
    approver?: Approver;
    target?: () => Promise<ResolvedTarget>;
    listenerOptions?: Record<string, unknown>;
    connection?: string;
  } = {},
): Promise<SshProxyUnderTest> {
  const { recorder, metrics, enforcer } = harnessEnforcement({
    fixture: 'test/integration/fixtures/ssh-policies.yaml',
    manifests: options.manifests,
    approver: options.approver,
  });
  const hostKey = generateEd25519KeyPair();
  const listener = await sshAdapter.start(
    {
      connection: options.connection ?? 'bastion',
      listen: { host: '127.0.0.1', port: 0 },
      target: options.target ?? (async () => harnessTarget(harness)),
      options: { hostKeyPem: hostKey.private, ...options.listenerOptions },
    },
    { enforcer, verifier: harnessVerifier(harness), recorder, metrics, logger: silentLogger() },
  );
  const dir = mkdtempSync(join(tmpdir(), 'crewgate-ssh-client-'));
  const knownHostsFile = join(dir, 'known_hosts');
  writeFileSync(knownHostsFile, `[127.0.0.1]:${listener.port} ${hostKey.public.trim()}\n`);
  return { listener, recorder, metrics, knownHostsFile };
}

let askpass: string | undefined;
/**
 * A program ssh runs to ask for the password; it prints the token from `$CREWGATE_TOKEN`. Written
 * once into a temp dir, or into `dir` when given (the demo's, removed with it).
 */
export function askpassProgram(dir?: string): string {
  if (askpass && dir === undefined) return askpass;
  const file = join(dir ?? mkdtempSync(join(tmpdir(), 'crewgate-askpass-')), 'askpass');
  writeFileSync(file, '#!/bin/sh\nprintf \'%s\\n\' "$CREWGATE_TOKEN"\n');
  chmodSync(file, 0o700);
  if (dir === undefined) askpass = file;
  return file;
}

/** Options every OpenSSH client gets: no user config, no agent, no keys, the listener's key pinned. */
export function clientOptions(proxy: Pick<SshProxyUnderTest, 'knownHostsFile'>): string[] {
  return [
    '-F',
    '/dev/null',
    '-o',
    `UserKnownHostsFile=${proxy.knownHostsFile}`,
    '-o',
    'StrictHostKeyChecking=yes',
    '-o',
    'PubkeyAuthentication=no',
    '-o',
    'IdentityAgent=none',
    '-o',
    'NumberOfPasswordPrompts=1',
    '-o',
    'LogLevel=ERROR',
  ];
}

export function clientEnv(token: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    SSH_ASKPASS: askpassProgram(),
    SSH_ASKPASS_REQUIRE: 'force',
    CREWGATE_TOKEN: token,
  };
}

/** `ssh agent@127.0.0.1 -p PORT ARGS...` through the proxy with `token` as the password. */
export function sshThrough(
  proxy: SshProxyUnderTest,
  token: string,
  args: string[],
  options: { input?: string; timeoutMs?: number; extra?: string[] } = {},
): Promise<RunResult> {
  return runCommand(
    'ssh',
    // ssh keeps the first value it is given for an option: `extra` comes first to override.
    [
      ...(options.extra ?? []),
      ...clientOptions(proxy),
      '-p',
      String(proxy.listener.port),
      'agent@127.0.0.1',
      ...args,
    ],
    { env: clientEnv(token), input: options.input, timeoutMs: options.timeoutMs },
  );
}

/** The bytes a recorded stream carried in one session, decoded. */
export function recordedStream(
  recorder: MemoryRecorder,
  session: string,
  stream: 'stdin' | 'stdout' | 'stderr',
): string {
  return Buffer.concat(
    recorder.events
      .filter((e) => e.session === session && e.type === 'terminal' && e.stream === stream)
      .map((e) => Buffer.from((e as { data: string }).data, 'base64')),
  ).toString('utf8');
}
