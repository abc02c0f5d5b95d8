/**
 * Where `make deps` put the binaries the harness runs: the Go builds cached per version under
 * ${XDG_CACHE_HOME:-~/.cache}/crewgate (versions from scripts/deps/versions.env) and PostgreSQL
 * and OpenSSH from Debian's packages.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { repositoryRoot } from './paths.js';

export interface Binaries {
  etcd: string;
  kubeApiserver: string;
  kubectl: string;
  postgresBin: string;
  sshd: string;
  ssh: string;
  sshKeygen: string;
  psql: string;
}

export class MissingBinaryError extends Error {
  constructor(what: string, where: string) {
    super(`${what} not found at ${where}: run \`make deps\` first`);
    this.name = 'MissingBinaryError';
  }
}

export function pinnedVersions(): Record<string, string> {
  const text = readFileSync(join(repositoryRoot, 'scripts/deps/versions.env'), 'utf8');
  const versions: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const [, name, value] = /^([A-Z_]+)=(\S+)$/.exec(line.trim()) ?? [];
    if (name && value) versions[name] = value;
  }
  return versions;
}

export function cacheRoot(): string {
  return (
    process.env.CREWGATE_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'crewgate')
  );
}

function required(what: string, path: string): string {
  if (!existsSync(path)) throw new MissingBinaryError(what, path);
  return path;
}

/** Debian installs each PostgreSQL major under /usr/lib/postgresql/<major>/bin; take the newest. */
function postgresBinDir(): string {
  const base = '/usr/lib/postgresql';
  const majors = existsSync(base)
    ? readdirSync(base)
        .filter((d) => /^\d+$/.test(d) && existsSync(join(base, d, 'bin', 'postgres')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  const newest = majors[0];
  if (newest === undefined) throw new MissingBinaryError('PostgreSQL server', `${base}/<major>/bin/postgres`);
  return join(base, newest, 'bin');
}

export function locateBinaries(): Binaries {
  const v = pinnedVersions();
  const cache = cacheRoot();
  const k8s = join(cache, `kubernetes-${v.KUBERNETES_VERSION}`);
  const postgresBin = postgresBinDir();
  return {
    etcd: required('etcd', join(cache, `etcd-${v.ETCD_VERSION}`, 'etcd')),
    kubeApiserver: required('kube-apiserver', join(k8s, 'kube-apiserver')),
    kubectl: required('kubectl', join(k8s, 'kubectl')),
    postgresBin,
    psql: required('psql', join(postgresBin, 'psql')),
    sshd: required('sshd', '/usr/sbin/sshd'),
    ssh: required('ssh', '/usr/bin/ssh'),
    sshKeygen: required('ssh-keygen', '/usr/bin/ssh-keygen'),
  };
}

/** helm is only needed by the chart tests, not by the servers. */
export function locateHelm(): string {
  return required('helm', join(cacheRoot(), `helm-${pinnedVersions().HELM_VERSION}`, 'helm'));
}
