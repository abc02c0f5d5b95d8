import { describe, expect, it } from 'vitest';
import { sidecarPodConfigSchema } from '../../operator/injection/sidecar-pod-config.js';
import { loopbackSsh, renderKnownHosts, renderSshConfig, SshClientConfigError } from './loopback-ssh.js';

const KEY_A = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIInDnOyYGExiBsr/ba/iQVMqDH5Io9wRsMy27lLq/lE1';
const KEY_B = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBBBnOyYGExiBsr/ba/iQVMqDH5Io9wRsMy27lLq/lE1';
const entries = [
  { name: 'bastion', host: '127.0.0.1', port: 2222, publicKey: KEY_A },
  { name: 'build-box', host: '127.0.0.1', port: 2223, publicKey: `${KEY_B} crewgate` },
];
const KNOWN = '/var/run/crewgate/client/known_hosts';

const config = (sshConfig: boolean) =>
  sidecarPodConfigSchema.parse({
    apiVersion: 'crewgate.dev/v1alpha1',
    kind: 'InPodSidecarConfig',
    mode: 'env',
    connections: [
      { name: 'shop-db', type: 'postgres', listen: { port: 15432 } },
      { name: 'bastion', type: 'ssh', listen: { port: 2222 } },
      { name: 'build-box', type: 'ssh', listen: { port: 2223 } },
    ],
    controlPlane: { url: 'https://cp:8443', tokenFile: '/t' },
    ...(sshConfig
      ? { sshConfig: { file: '/var/run/crewgate/client/ssh_config', knownHostsFile: KNOWN } }
      : {}),
    recording: { spoolDir: '/s' },
    metrics: { port: 15090 },
  });

/** The directives of the `Host name` block, as ssh reads them (keyword lower-cased, value). */
function block(text: string, name: string): Record<string, string> {
  const lines = text.split('\n');
  const start = lines.indexOf(`Host ${name}`);
  expect(start, `Host ${name} block`).toBeGreaterThanOrEqual(0);
  const out: Record<string, string> = {};
  for (const line of lines.slice(start + 1)) {
    if (!line.startsWith('  ')) break;
    const [key, ...value] = line.trim().split(/\s+/);
    out[key!.toLowerCase()] = value.join(' ');
  }
  return out;
}

describe('renderSshConfig', () => {
  it('writes one pinned Host block per ssh connection', () => {
    const text = renderSshConfig(entries, KNOWN);
    expect(text.match(/^Host /gm)).toHaveLength(2);
    expect(block(text, 'bastion')).toEqual({
      hostname: '127.0.0.1',
      port: '2222',
      hostkeyalias: 'bastion',
      userknownhostsfile: KNOWN,
      globalknownhostsfile: '/dev/null',
      stricthostkeychecking: 'yes',
      updatehostkeys: 'no',
      preferredauthentications: 'password,keyboard-interactive',
      pubkeyauthentication: 'no',
      forwardagent: 'no',
    });
    expect(block(text, 'build-box')).toMatchObject({ port: '2223', hostkeyalias: 'build-box' });
    expect(text).toContain('ssh -F "$CREWGATE_SSH_CONFIG"');
  });

  it('refuses names and paths that would widen a Host pattern or add a directive', () => {
    for (const name of ['*', 'a b', 'x\n  ProxyCommand sh', '!bastion', 'a?']) {
      expect(() => renderSshConfig([{ ...entries[0]!, name }], KNOWN)).toThrow(SshClientConfigError);
      expect(() => renderKnownHosts([{ ...entries[0]!, name }])).toThrow(SshClientConfigError);
    }
    expect(() => renderSshConfig(entries, '/tmp/known hosts')).toThrow(SshClientConfigError);
    expect(() => renderSshConfig([{ ...entries[0]!, host: 'evil.example' }], KNOWN)).toThrow(
      /is not an address/,
    );
  });
});

describe('renderKnownHosts', () => {
  it('stores each host key under its connection name (the HostKeyAlias), comment dropped', () => {
    expect(renderKnownHosts(entries)).toBe(`bastion ${KEY_A}\nbuild-box ${KEY_B}\n`);
  });

  it('refuses something that is not an OpenSSH public key', () => {
    expect(() => renderKnownHosts([{ ...entries[0]!, publicKey: '-----BEGIN PRIVATE KEY-----' }])).toThrow(
      SshClientConfigError,
    );
  });
});

describe('loopbackSsh', () => {
  let n = 0;
  const keys = () => {
    n += 1;
    return { privatePem: `PRIVATE ${n}`, publicOpenSsh: n === 1 ? KEY_A : KEY_B };
  };

  it('gives each ssh listener its own host key and pins exactly those in known_hosts', () => {
    n = 0;
    const ssh = loopbackSsh(config(true), keys);
    expect([...ssh.options.entries()]).toEqual([
      ['bastion', { hostKeyPem: 'PRIVATE 1' }],
      ['build-box', { hostKeyPem: 'PRIVATE 2' }],
    ]);
    expect(ssh.files!.map((f) => f.file)).toEqual([KNOWN, '/var/run/crewgate/client/ssh_config']);
    expect(ssh.files![0]!.text).toBe(`bastion ${KEY_A}\nbuild-box ${KEY_B}\n`);
    expect(block(ssh.files![1]!.text, 'build-box')).toMatchObject({
      port: '2223',
      userknownhostsfile: KNOWN,
    });
    expect(ssh.files!.map((f) => f.text).join('')).not.toContain('PRIVATE');
  });

  it('writes no files when the config names no ssh config (transparent mode)', () => {
    n = 0;
    const ssh = loopbackSsh(config(false), keys);
    expect(ssh.options.size).toBe(2);
    expect(ssh.files).toBeUndefined();
  });
});
