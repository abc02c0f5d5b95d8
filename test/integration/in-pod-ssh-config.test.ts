// The in-pod sidecar's SSH listener as an injected pod runs it: the sidecar makes its host key at
// start and writes the agent's ssh_config and known_hosts into the client config volume; the real
// OpenSSH client, given nothing but that config (`ssh -F`), verifies the key strictly with no prior
// trust (no ssh-keyscan, no accept-new), logs in with the agent's token as the password (SSH_ASKPASS)
// and runs the command through the policy. A listener presenting any other key is refused by ssh
// itself before it sends the token.
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// ssh2 is CommonJS; Node's ESM loader sees only some of its named exports, so use the default.
import ssh2 from 'ssh2';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { CLIENT_CONFIG_DIR, KNOWN_HOSTS_FILE, SSH_CONFIG_FILE } from '../../operator/injection/constants.js';
import { oidcToken } from '../harness/oidc-token.js';
import { kubectl, runCommand } from '../harness/run.js';
import { startInPodOperator, type InPodOperator } from './support/in-pod-operator.js';
import type { InPodSidecar } from './support/in-pod-sidecar.js';
import { clientEnv } from './support/ssh-proxy.js';
import { generateEd25519KeyPair } from '../../sidecar/ssh/host-key.js';

const harness = inject('harness');
const id = `${Date.now()}`;
const ns = `agents-sshcfg-${id}`;
let operator: InPodOperator;
let sidecar: InPodSidecar;
let analyst: string;
let configPath: string;

const apply = (manifest: string) => kubectl(harness, ['apply', '-f', '-'], { input: manifest });

/** The agent container's ssh: only the config the sidecar wrote, the token through SSH_ASKPASS. */
const agentSsh = (config: string, args: string[]) =>
  runCommand('ssh', ['-F', config, '-o', 'NumberOfPasswordPrompts=1', ...args], {
    env: clientEnv(analyst),
    timeoutMs: 20_000,
  });

beforeAll(async () => {
  operator = await startInPodOperator(harness, id, 'sshcfg-store');
  const sshd = harness.sshd;
  const key = readFileSync(sshd.clientKeyFile, 'utf8').trim().split('\n');
  const setup = await apply(`apiVersion: v1
kind: Namespace
metadata: { name: ${ns}, labels: { crewgate-test: '${id}', crewgate.dev/inject: enabled } }
---
apiVersion: v1
kind: ServiceAccount
metadata: { name: ops-crew, namespace: ${ns} }
---
apiVersion: v1
kind: Secret
metadata: { name: bastion-credentials, namespace: ${ns} }
type: Opaque
stringData:
  privateKey: |
${key.map((l) => `    ${l}`).join('\n')}
---
apiVersion: crewgate.dev/v1alpha1
kind: Connection
metadata: { name: bastion, namespace: ${ns} }
spec:
  type: ssh
  address: '${sshd.host}:${sshd.port}'
  ssh: { user: ${sshd.user}, hostKey: '${sshd.hostPublicKey}' }
  credentialsRef: { name: bastion-credentials }
---
apiVersion: crewgate.dev/v1alpha1
kind: AccessPolicy
metadata: { name: viewers, namespace: ${ns} }
spec:
  subjects: [{ group: crewai-viewer }]
  connections: [bastion]
  rules:
    - name: reads
      match: { operations: [exec], resources: [echo] }
      action: Allow
  defaultAction: Deny
---
apiVersion: crewgate.dev/v1alpha1
kind: AccessPolicy
metadata: { name: ops-pod, namespace: ${ns} }
spec:
  subjects: [{ serviceAccount: { name: ops-crew } }]
  connections: [bastion]
  rules:
    - name: nothing-for-the-workload
      match: { operations: ['*'] }
      action: Deny
  defaultAction: Deny
---
apiVersion: v1
kind: Pod
metadata:
  name: ops-0
  namespace: ${ns}
  annotations: { crewgate.dev/connections: bastion }
spec:
  serviceAccountName: ops-crew
  containers: [{ name: agent, image: python:3.12 }]
`);
  expect(setup.code, setup.stderr).toBe(0);
  analyst = await oidcToken(harness.oidc, 'agent-analyst');
  sidecar = await operator.startSidecar(ns, 'ops-0');
  configPath = join(sidecar.root, CLIENT_CONFIG_DIR, SSH_CONFIG_FILE);
}, 120_000);

afterAll(() => operator?.stop());

describe('the injected pod’s ssh_config and known_hosts', () => {
  it('are written by the sidecar before it is ready: loopback, strict, its own host key, no secret', async () => {
    const pod = await kubectl(harness, ['get', 'pod', 'ops-0', '-n', ns, '-o', 'json']);
    const agent = (
      JSON.parse(pod.stdout) as { spec: { containers: { env?: { name: string; value: string }[] }[] } }
    ).spec.containers[0]!;
    expect(agent.env).toContainEqual({
      name: 'CREWGATE_SSH_CONFIG',
      value: `${CLIENT_CONFIG_DIR}/${SSH_CONFIG_FILE}`,
    });
    const text = readFileSync(configPath, 'utf8');
    const knownHosts = join(sidecar.root, CLIENT_CONFIG_DIR, KNOWN_HOSTS_FILE);
    expect(text).toContain('Host bastion\n');
    expect(text).toContain(`  Port ${sidecar.ports.bastion}\n`);
    expect(text).toContain(`  UserKnownHostsFile ${knownHosts}\n`);
    expect(text).toContain('  StrictHostKeyChecking yes\n');
    // What OpenSSH itself makes of the file.
    const resolved = await runCommand('ssh', ['-G', '-F', configPath, 'bastion']);
    expect(resolved.code, resolved.stderr).toBe(0);
    for (const line of [
      'hostname 127.0.0.1',
      `port ${sidecar.ports.bastion}`,
      'hostkeyalias bastion',
      'stricthostkeychecking true',
      'pubkeyauthentication false',
      'forwardagent no',
      'preferredauthentications password,keyboard-interactive',
    ])
      expect(resolved.stdout.split('\n')).toContain(line);
    const pinned = readFileSync(knownHosts, 'utf8');
    expect(pinned).toMatch(/^bastion ssh-ed25519 [A-Za-z0-9+/]+=*\n$/);
    // The listener's key, as ssh-keygen reads it: exactly one, under the alias.
    const found = await runCommand('ssh-keygen', ['-F', 'bastion', '-f', knownHosts]);
    expect(found.code).toBe(0);
    expect(statSync(configPath).mode & 0o777).toBe(0o644);
    expect(pinned + text + sidecar.output()).not.toContain('PRIVATE KEY');
  });

  it('ssh -F <that config> bastion echo ok succeeds with strict checking and no prior trust', async () => {
    const r = await agentSsh(configPath, ['bastion', 'echo', 'ok']);
    expect(r.stderr).not.toMatch(/Warning: Permanently added|authenticity of host/);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('ok\n');
    // The policy applies: anything but echo is denied by the sidecar, not by a missing trust.
    const denied = await agentSsh(configPath, ['bastion', 'id']);
    expect(denied.code).not.toBe(0);
    expect(denied.stderr).toMatch(/crewgate/);
  });

  describe('a listener presenting another host key', () => {
    let impostor: Server;
    let passwords = 0;
    beforeAll(async () => {
      const ssh = new ssh2.Server({ hostKeys: [generateEd25519KeyPair().private] });
      ssh.on('connection', (client) => {
        client.on('authentication', (ctx) => {
          if (ctx.method === 'password') passwords += 1;
          ctx.reject();
        });
        client.on('error', () => undefined);
      });
      impostor = createServer((socket) => {
        socket.on('error', () => undefined);
        ssh.injectSocket(socket);
      });
      await new Promise<void>((resolve) => impostor.listen(0, '127.0.0.1', resolve));
    });
    afterAll(() => impostor?.close());

    it('is refused by ssh before the token is sent', async () => {
      const port = (impostor.address() as AddressInfo).port;
      const dir = mkdtempSync(join(tmpdir(), 'crewgate-impostor-'));
      const moved = join(dir, 'ssh_config');
      // The written config, only pointed at the other listener: same alias, same known_hosts.
      writeFileSync(
        moved,
        readFileSync(configPath, 'utf8').replace(`Port ${sidecar.ports.bastion}`, `Port ${port}`),
      );
      const r = await agentSsh(moved, ['bastion', 'echo', 'ok']);
      expect(r.code).toBe(255);
      expect(r.stderr).toMatch(/REMOTE HOST IDENTIFICATION HAS CHANGED|Host key verification failed/);
      expect(r.stdout).toBe('');
      expect(passwords).toBe(0);
    });
  });
});
