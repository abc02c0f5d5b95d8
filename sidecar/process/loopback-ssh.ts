/**
 * What an in-pod sidecar needs for its ssh listeners: a host key per listener, made here at start
 * (handed to the adapter as `hostKeyPem`, memory only), and, when the config names an ssh config
 * (env mode), the agent's `ssh_config` and the `known_hosts` it points at — so the agent's `ssh -F`
 * pins the pod-local hop to exactly the key this process holds, from the first connection, with
 * no trust on first use. Pure apart from the key generation the caller asks for.
 */
import type { InPodConfig } from '../config.js';
import type { ClientFile } from './client-file.js';

export class SshClientConfigError extends Error {
  override name = 'SshClientConfigError';
}

/** One ssh listener as the agent's client sees it. */
export interface SshClientEntry {
  /** The Connection name: the `Host` the agent names, and the alias its host key is stored under. */
  name: string;
  host: string;
  port: number;
  /** The listener's public host key, OpenSSH form (`ssh-ed25519 AAAA...`). */
  publicKey: string;
}

/** A host key pair: private PEM for the listener, public OpenSSH line for known_hosts. */
export interface HostKeyPair {
  privatePem: string;
  publicOpenSsh: string;
}

export interface LoopbackSsh {
  /** Listener options by connection name, for the ssh connections only. */
  options: Map<string, { hostKeyPem: string }>;
  /** The files to write once the listeners serve (env mode only). */
  files?: ClientFile[];
}

// ssh_config tokens are whitespace-separated and `Host` takes patterns (`*`, `?`, `!`): a name or
// path outside this set could widen the block or inject a directive, so it is refused, not quoted.
const SAFE_NAME = /^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/;
const SAFE_PATH = /^[A-Za-z0-9._/-]+$/;
const PUBLIC_KEY = /^(ssh-ed25519|ecdsa-sha2-nistp(256|384|521)|ssh-rsa) [A-Za-z0-9+/]+={0,2}$/;

/**
 * One `Host <name>` block per listener: loopback address and port, strict checking against the
 * sidecar-written known_hosts only (the system one is ignored), the host key looked up by the
 * connection name rather than by `127.0.0.1:<port>` (every pod reuses those), password or
 * keyboard-interactive only (the agent's token is the password; a key of its own would be
 * offered to nothing), no agent forwarding through the proxy.
 */
export function renderSshConfig(entries: readonly SshClientEntry[], knownHostsFile: string): string {
  if (!SAFE_PATH.test(knownHostsFile))
    throw new SshClientConfigError(`known_hosts path ${JSON.stringify(knownHostsFile)} is not a plain path`);
  const blocks = entries.map((e) => {
    safeName(e.name);
    if (!/^[0-9.:a-f]+$/i.test(e.host))
      throw new SshClientConfigError(`listen host ${JSON.stringify(e.host)} of ${e.name} is not an address`);
    return [
      `Host ${e.name}`,
      `  HostName ${e.host}`,
      `  Port ${e.port}`,
      `  HostKeyAlias ${e.name}`,
      `  UserKnownHostsFile ${knownHostsFile}`,
      '  GlobalKnownHostsFile /dev/null',
      '  StrictHostKeyChecking yes',
      '  UpdateHostKeys no',
      '  PreferredAuthentications password,keyboard-interactive',
      '  PubkeyAuthentication no',
      '  ForwardAgent no',
      '',
    ].join('\n');
  });
  return [
    '# Written by the crewgate sidecar at start: one Host per ssh connection of this pod, each',
    '# pinned to the host key in known_hosts. Use: ssh -F "$CREWGATE_SSH_CONFIG" <connection> <command>',
    '',
    ...blocks,
  ].join('\n');
}

/** `<name> <key>` per listener: the name is the HostKeyAlias the ssh_config gives that host. */
export function renderKnownHosts(entries: readonly SshClientEntry[]): string {
  return entries
    .map((e) => {
      safeName(e.name);
      const key = e.publicKey.trim().split(/\s+/).slice(0, 2).join(' ');
      if (!PUBLIC_KEY.test(key))
        throw new SshClientConfigError(`host key of ${e.name} is not an OpenSSH public key`);
      return `${e.name} ${key}\n`;
    })
    .join('');
}

/** The ssh listeners' options and, in env mode, the ssh_config and known_hosts for them. */
export function loopbackSsh(config: InPodConfig, hostKey: () => HostKeyPair): LoopbackSsh {
  const ssh = config.connections.filter((c) => c.type === 'ssh');
  const keys = new Map(ssh.map((c) => [c.name, hostKey()] as const));
  const options = new Map(ssh.map((c) => [c.name, { hostKeyPem: keys.get(c.name)!.privatePem }] as const));
  if (config.sshConfig === undefined || ssh.length === 0) return { options };
  const entries = ssh.map((c) => ({
    name: c.name,
    host: c.listen.host,
    port: c.listen.port,
    publicKey: keys.get(c.name)!.publicOpenSsh,
  }));
  return {
    options,
    files: [
      // known_hosts first: an ssh_config that exists always finds the keys it points at.
      {
        file: config.sshConfig.knownHostsFile,
        text: renderKnownHosts(entries),
        what: 'ssh known_hosts (the host keys made at start)',
      },
      {
        file: config.sshConfig.file,
        text: renderSshConfig(entries, config.sshConfig.knownHostsFile),
        what: 'ssh config',
      },
    ],
  };
}

function safeName(name: string): void {
  if (!SAFE_NAME.test(name))
    throw new SshClientConfigError(`connection name ${JSON.stringify(name)} cannot be an ssh_config Host`);
}
