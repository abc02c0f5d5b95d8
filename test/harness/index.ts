/**
 * The test harness: real servers on loopback, each in its own temp dir, for vitest's global
 * setup and for `make demo`. `startHarness` returns plain data (how to reach each server) plus
 * the handles to stop or disturb them.
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCertificateAuthority, toPrivateKeyPem } from '../../operator/pki/certificates.js';
import { locateBinaries, pinnedVersions } from './binaries.js';
import { startControlPlane, type ControlPlane, type ControlPlaneInfo } from './control-plane.js';
import { startOidcProvider, type OidcInfo, type OidcServer } from './oidc.js';
import { startPostgres, type PostgresInfo, type PostgresServer } from './postgres.js';
import { repositoryRoot } from './paths.js';
import { startSshd, type SshdInfo, type SshdServer } from './sshd.js';

export interface HarnessInfo {
  dir: string;
  /** CA (PEM file) that signed the PostgreSQL and OIDC serving certificates. */
  caCertificateFile: string;
  caKeyFile: string;
  controlPlane: ControlPlaneInfo;
  postgres: PostgresInfo;
  sshd: SshdInfo;
  oidc: OidcInfo;
  /** Milliseconds each server took to become ready, and the whole start. */
  startupMs: Record<string, number>;
}

export interface Harness {
  info: HarnessInfo;
  controlPlane: ControlPlane;
  postgres: PostgresServer;
  sshd: SshdServer;
  oidc: OidcServer;
  stop(): Promise<void>;
}

export interface HarnessOptions {
  /** Apply crds/*.yaml and wait until they are established (default true). */
  installCrds?: boolean;
  /** Keep the temp dir (logs, data) after stop, for debugging. */
  keep?: boolean;
}

async function timed<T>(
  startupMs: Record<string, number>,
  name: string,
  start: () => Promise<T>,
): Promise<T> {
  const began = performance.now();
  const result = await start();
  startupMs[name] = Math.round(performance.now() - began);
  return result;
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const began = performance.now();
  const binaries = locateBinaries();
  const version = pinnedVersions().KUBERNETES_VERSION ?? 'unknown';
  const dir = mkdtempSync(join(tmpdir(), 'crewgate-harness-'));
  // PostgreSQL runs as another OS user and must be able to reach its own subdirectory.
  chmodSync(dir, 0o755);
  const sub = (name: string) => {
    const path = join(dir, name);
    mkdirSync(path, { recursive: true });
    return path;
  };

  const ca = await createCertificateAuthority('crewgate-harness-ca');
  const caCertificateFile = join(dir, 'harness-ca.crt');
  const caKeyFile = join(dir, 'harness-ca.key');
  writeFileSync(caCertificateFile, ca.certificatePem);
  writeFileSync(caKeyFile, await toPrivateKeyPem(ca.keys.privateKey), { mode: 0o600 });

  const startupMs: Record<string, number> = {};
  const started: { stop(): Promise<void> }[] = [];
  const track = <T extends { stop(): Promise<void> }>(server: T) => {
    started.push(server);
    return server;
  };
  const stopAll = async () => {
    await Promise.allSettled(started.reverse().map((s) => s.stop()));
    if (!options.keep) rmSync(dir, { recursive: true, force: true });
  };

  try {
    const [controlPlane, postgres, sshd, oidc] = await Promise.all([
      timed(startupMs, 'controlPlane', async () => {
        const cp = track(await startControlPlane(binaries, sub('control-plane'), version));
        if (options.installCrds ?? true) {
          await cp.kubectl(['apply', '--server-side', '-f', join(repositoryRoot, 'crds')]);
          await cp.kubectl([
            'wait',
            '--for=condition=Established',
            '--timeout=60s',
            'crd',
            '-l',
            'app.kubernetes.io/part-of=crewgate',
          ]);
        }
        return cp;
      }),
      timed(startupMs, 'postgres', async () =>
        track(await startPostgres(binaries, sub('postgres'), ca, caCertificateFile)),
      ),
      timed(startupMs, 'sshd', async () => track(await startSshd(binaries, sub('sshd')))),
      timed(startupMs, 'oidc', async () => track(await startOidcProvider(ca, caCertificateFile))),
    ]);
    startupMs.total = Math.round(performance.now() - began);
    return {
      info: {
        dir,
        caCertificateFile,
        caKeyFile,
        controlPlane: controlPlane.info,
        postgres: postgres.info,
        sshd: sshd.info,
        oidc: oidc.info,
        startupMs,
      },
      controlPlane,
      postgres,
      sshd,
      oidc,
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
