/**
 * OpenSSH's sshd from Debian on a loopback port with its own host key, one authorized client key
 * and nothing else: no passwords, no PAM. Logins are as the user running the harness.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { connect } from 'node:net';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Binaries } from './binaries.js';
import { freePort } from './ports.js';
import { ManagedProcess } from './process.js';

const run = promisify(execFile);

export interface SshdInfo {
  host: string;
  port: number;
  user: string;
  /** The client's private key (OpenSSH format), authorized on the server. */
  clientKeyFile: string;
  /** `ssh-ed25519 AAAA...`: the host key to pin. */
  hostPublicKey: string;
  /** A known_hosts file naming this server's key. */
  knownHostsFile: string;
}

export interface SshdServer {
  info: SshdInfo;
  stop(): Promise<void>;
}

function bannerSeen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.setTimeout(1_000);
    socket.once('data', (data) => {
      socket.destroy();
      resolve(data.toString('latin1').startsWith('SSH-2.0-'));
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

export async function startSshd(binaries: Binaries, dir: string): Promise<SshdServer> {
  const port = await freePort();
  const hostKey = join(dir, 'ssh_host_ed25519_key');
  const clientKey = join(dir, 'client_ed25519');
  await run(binaries.sshKeygen, [
    '-q',
    '-t',
    'ed25519',
    '-N',
    '',
    '-C',
    'crewgate-harness-host',
    '-f',
    hostKey,
  ]);
  await run(binaries.sshKeygen, [
    '-q',
    '-t',
    'ed25519',
    '-N',
    '',
    '-C',
    'crewgate-harness-client',
    '-f',
    clientKey,
  ]);
  writeFileSync(join(dir, 'authorized_keys'), readFileSync(`${clientKey}.pub`), { mode: 0o600 });
  const hostPublicKey = readFileSync(`${hostKey}.pub`, 'utf8').trim().split(' ').slice(0, 2).join(' ');
  const knownHostsFile = join(dir, 'known_hosts');
  writeFileSync(knownHostsFile, `[127.0.0.1]:${port} ${hostPublicKey}\n`);

  const config = join(dir, 'sshd_config');
  writeFileSync(
    config,
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${hostKey}`,
      `PidFile ${join(dir, 'sshd.pid')}`,
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      'PubkeyAuthentication yes',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'PermitRootLogin prohibit-password',
      // The harness's files live in a temp dir whose modes sshd's strict checks would refuse.
      'StrictModes no',
      'UsePAM no',
      'Subsystem sftp internal-sftp',
      'LogLevel VERBOSE',
      '',
    ].join('\n'),
  );
  // sshd's privilege separation needs this directory; Debian's service unit would create it.
  if (process.getuid?.() === 0 && !existsSync('/run/sshd'))
    mkdirSync('/run/sshd', { mode: 0o755, recursive: true });

  const server = new ManagedProcess({
    name: 'sshd',
    command: binaries.sshd,
    args: ['-D', '-e', '-f', config],
    logFile: join(dir, 'sshd.log'),
  });
  await server.waitUntilReady(() => bannerSeen(port), 15_000);
  return {
    info: {
      host: '127.0.0.1',
      port,
      user: userInfo().username,
      clientKeyFile: clientKey,
      hostPublicKey,
      knownHostsFile,
    },
    stop: () => server.stop(),
  };
}
