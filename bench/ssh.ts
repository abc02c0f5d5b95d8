/**
 * 256 MiB through `ssh`: directly to an OpenSSH sshd, and through the sidecar's SSH adapter to the
 * same sshd, in the same run. Both directions (agent -> target with `cat > /dev/null`, target ->
 * agent with `head -c ... /dev/zero`), and text output through a sidecar with masking on. Every
 * exec is judged and every byte recorded as a sidecar records it: the SpoolingRecorder on a spool
 * directory, shipped to a real recording store (a PostgreSQL of the bench's own, provisioned by the
 * operator's code). Each run starts once the previous runs' sessions are all in the store, so a run
 * pays for shipping its own bytes, not its predecessor's. Throughput is bytes over wall time of
 * the whole `ssh` command, connection set-up included; sidecar CPU (its shipper included) from /proc.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCertificateAuthority } from '../operator/pki/certificates.js';
import { locateBinaries } from '../test/harness/binaries.js';
import { startOidcProvider } from '../test/harness/oidc.js';
import { oidcToken } from '../test/harness/oidc-token.js';
import { repositoryRoot } from '../test/harness/paths.js';
import { runCommand } from '../test/harness/run.js';
import { startSshd } from '../test/harness/sshd.js';
import { startRecordingStore } from '../test/integration/support/recording-store.js';
import { waitForReadyPort } from './child-ready.js';
import { cpuSeconds, machineBusySeconds, processTreeCpuSeconds, runQueueSeconds } from './proc-cpu.js';
import type { SshSidecarConfig } from './ssh-sidecar.js';
import { generateEd25519KeyPair } from '../sidecar/ssh/host-key.js';

export interface SshTransferResult {
  scenario: string;
  path: string;
  bytes: number;
  seconds: number;
  mibPerSecond: number;
  /** Sidecar CPU from the start of the transfer until its session was in the store. */
  sidecarCpuSeconds?: number;
  /** Sidecar CPU while the transfer ran (the rest is shipping what was still spooled). */
  sidecarCpuSecondsDuringTransfer?: number;
  /** Seconds the sidecar was runnable but waiting for a core (other work on the machine). */
  sidecarRunQueueSeconds?: number;
  /** CPU seconds of the recording store's PostgreSQL from the start of the transfer until its session was in the store. */
  storeCpuSeconds?: number;
  /** Seconds from the start of the transfer until its session was in the store (polled every 200 ms). */
  secondsUntilStored?: number;
  /** CPU seconds the whole machine spent during the transfer (every process: see machineBusySeconds). */
  machineCpuSeconds?: number;
  /** The cipher the agent's ssh client negotiated on its first hop. */
  cipher?: string;
}

const BYTES = Number(process.env.BENCH_SSH_BYTES ?? 256 * 1024 * 1024);
const RUNS = Number(process.env.BENCH_SSH_RUNS ?? 2);
/** BENCH_SSH_CIPHER=aes128-gcm@openssh.com makes the agent's ssh client offer only that cipher. */
const CIPHER = process.env.BENCH_SSH_CIPHER;
/** BENCH_SSH_RECORDING: `shipped` (the default, the real thing), `spool-only` or `off` (diagnosis). */
const RECORDING = recordingSetting();

function recordingSetting(): SshSidecarConfig['recordingMode'] {
  const value = process.env.BENCH_SSH_RECORDING ?? 'shipped';
  if (value === 'shipped' || value === 'off') return value;
  if (value === 'spool-only') return 'spool only';
  throw new Error(`BENCH_SSH_RECORDING must be shipped, spool-only or off, not ${value}`);
}

export async function benchSsh(log: (line: string) => void): Promise<SshTransferResult[]> {
  const dir = mkdtempSync(join(tmpdir(), 'crewgate-bench-ssh-'));
  chmodSync(dir, 0o755);
  const ca = await createCertificateAuthority('crewgate-bench-ca');
  const caFile = join(dir, 'ca.crt');
  writeFileSync(caFile, ca.certificatePem);
  const sshd = await startSshd(locateBinaries(), dir);
  const oidc = await startOidcProvider(ca, caFile);
  const store = await startRecordingStore('bench-ssh');
  const storePid = Number(
    readFileSync(join(store.server.info.dataDir, 'postmaster.pid'), 'utf8').split('\n')[0],
  );
  const children: ChildProcess[] = [];
  let sessions = 0;
  /** Waits until every session run so far has its session.end in the store (the spool shipped). */
  const shipped = async () => {
    if (RECORDING !== 'shipped') return;
    const deadline = Date.now() + 300_000;
    for (;;) {
      const { rows } = await store.asAdmin((c) =>
        c.query<{ n: string }>(`SELECT count(*) AS n FROM recording.events WHERE type = 'session.end'`),
      );
      if (Number(rows[0]?.n) >= sessions) return;
      if (Date.now() > deadline)
        throw new Error(`only ${rows[0]?.n} of ${sessions} sessions reached the store`);
      await new Promise((r) => setTimeout(r, 200));
    }
  };
  try {
    if (RECORDING !== 'shipped')
      log(`BENCH_SSH_RECORDING=${RECORDING}: a diagnosis, not what the sidecar ships`);
    const token = await oidcToken(oidc.info, 'agent-operator');
    const askpass = join(dir, 'askpass');
    writeFileSync(askpass, `#!/bin/sh\nprintf '%s\\n' "$CREWGATE_TOKEN"\n`, { mode: 0o700 });

    const startSidecar = async (connection: string) => {
      const hostKey = generateEd25519KeyPair();
      const config: SshSidecarConfig = {
        connection,
        issuer: oidc.info.issuer,
        audience: oidc.info.audience,
        caFile,
        policiesFile: 'bench/ssh-policies.yaml',
        recording: {
          spoolDir: join(dir, `${connection}-spool`),
          store: {
            ...store.storeOptions(),
            tls: { mode: 'verify-full', caCertificates: [store.caCertificatePem] },
          },
        },
        target: {
          address: `${sshd.info.host}:${sshd.info.port}`,
          user: sshd.info.user,
          hostKey: sshd.info.hostPublicKey,
          privateKeyFile: sshd.info.clientKeyFile,
        },
        hostKeyPem: hostKey.private,
        recordingMode: RECORDING,
      };
      const configFile = join(dir, `${connection}.json`);
      writeFileSync(configFile, JSON.stringify(config));
      const nodeArgs = process.env.BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
      const child = spawn(
        process.execPath,
        [...nodeArgs, '--import', 'tsx', join(repositoryRoot, 'bench/ssh-sidecar.ts'), configFile],
        {
          cwd: repositoryRoot,
          env: { ...process.env, CREWGATE_LOG_LEVEL: 'warn' },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      children.push(child);
      const port = await waitForReadyPort(child, `ssh sidecar ${connection}`);
      const knownHosts = join(dir, `${connection}.known_hosts`);
      writeFileSync(knownHosts, `[127.0.0.1]:${port} ${hostKey.public.trim()}\n`);
      return { port, pid: child.pid!, knownHosts };
    };
    const sidecar = await startSidecar('bench-host');
    const masked = await startSidecar('bench-host-masked');

    const common = [
      '-F',
      '/dev/null',
      '-o',
      'StrictHostKeyChecking=yes',
      '-o',
      'LogLevel=ERROR',
      ...(CIPHER ? ['-c', CIPHER] : []),
    ];
    const paths = {
      direct: {
        args: [
          ...common,
          '-o',
          `UserKnownHostsFile=${sshd.info.knownHostsFile}`,
          '-i',
          sshd.info.clientKeyFile,
        ],
        target: `${sshd.info.user}@127.0.0.1`,
        port: sshd.info.port,
      },
      sidecar: {
        args: [...common, '-o', `UserKnownHostsFile=${sidecar.knownHosts}`, '-o', 'PubkeyAuthentication=no'],
        target: 'agent@127.0.0.1',
        port: sidecar.port,
        pid: sidecar.pid,
      },
      'sidecar+masking': {
        args: [...common, '-o', `UserKnownHostsFile=${masked.knownHosts}`, '-o', 'PubkeyAuthentication=no'],
        target: 'agent@127.0.0.1',
        port: masked.port,
        pid: masked.pid,
      },
    };
    const env = { ...process.env, SSH_ASKPASS: askpass, SSH_ASKPASS_REQUIRE: 'force', CREWGATE_TOKEN: token };
    const quote = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;
    const ssh = (p: (typeof paths)[keyof typeof paths], remote: string) =>
      `ssh ${p.args.map(quote).join(' ')} -p ${p.port} ${p.target} ${quote(remote)}`;

    const scenarios = [
      {
        name: `upload ${BYTES >> 20} MiB (cat > /dev/null)`,
        paths: ['direct', 'sidecar'] as const,
        shell: (p: (typeof paths)[keyof typeof paths]) =>
          `head -c ${BYTES} /dev/zero | ${ssh(p, 'cat > /dev/null')} && echo ${BYTES}`,
      },
      {
        name: `download ${BYTES >> 20} MiB (head -c /dev/zero)`,
        paths: ['direct', 'sidecar'] as const,
        shell: (p: (typeof paths)[keyof typeof paths]) => `${ssh(p, `head -c ${BYTES} /dev/zero`)} | wc -c`,
      },
      {
        name: `download ${BYTES >> 20} MiB of text lines`,
        paths: ['direct', 'sidecar', 'sidecar+masking'] as const,
        shell: (p: (typeof paths)[keyof typeof paths]) =>
          `${ssh(p, `yes 'an ordinary line of output, nothing to mask in it' | head -c ${BYTES}`)} | wc -c`,
      },
    ];

    // BENCH_SSH_SCENARIOS=upload,text: the scenarios whose names contain one of these words.
    const picked = process.env.BENCH_SSH_SCENARIOS?.split(',').filter(Boolean);
    const results: SshTransferResult[] = [];
    for (const scenario of scenarios.filter((s) => !picked || picked.some((w) => s.name.includes(w)))) {
      for (let run = 0; run < RUNS; run++) {
        for (const name of scenario.paths) {
          const p = paths[name];
          if ('pid' in p) await shipped();
          const before = 'pid' in p ? cpuSeconds(p.pid) : 0;
          const queuedBefore = 'pid' in p ? runQueueSeconds(p.pid) : 0;
          const machineBefore = machineBusySeconds();
          const storeBefore = processTreeCpuSeconds(storePid);
          const started = process.hrtime.bigint();
          const load = loadavg()[0]!;
          const r = await runCommand('sh', ['-c', scenario.shell(p)], { env, timeoutMs: 600_000 });
          const seconds = Number(process.hrtime.bigint() - started) / 1e9;
          const machineCpuSeconds = machineBusySeconds() - machineBefore;
          if ('pid' in p) sessions++;
          const sidecarCpuAtEnd = 'pid' in p ? cpuSeconds(p.pid) - before : 0;
          // What this run cost the store: until its session is in (the next run would wait for it anyway).
          if ('pid' in p) await shipped();
          const secondsUntilStored = Number(process.hrtime.bigint() - started) / 1e9;
          const storeCpuSeconds = processTreeCpuSeconds(storePid) - storeBefore;
          if (r.code !== 0 || Number(r.stdout.trim()) !== BYTES)
            throw new Error(`${scenario.name} via ${name} failed (${r.code}): ${r.stdout} ${r.stderr}`);
          const result: SshTransferResult = {
            scenario: scenario.name,
            path: name,
            bytes: BYTES,
            seconds,
            mibPerSecond: BYTES / 1048576 / seconds,
            machineCpuSeconds,
            ...('pid' in p
              ? {
                  sidecarCpuSeconds: cpuSeconds(p.pid) - before,
                  sidecarCpuSecondsDuringTransfer: sidecarCpuAtEnd,
                  sidecarRunQueueSeconds: runQueueSeconds(p.pid) - queuedBefore,
                  storeCpuSeconds,
                  ...(RECORDING === 'shipped' ? { secondsUntilStored } : {}),
                }
              : {}),
          };
          results.push(result);
          log(
            `${scenario.name} via ${name} (run ${run + 1}, load ${load.toFixed(1)}): ${result.mibPerSecond.toFixed(1)} MiB/s, machine CPU ${machineCpuSeconds.toFixed(2)} s` +
              (result.sidecarCpuSeconds !== undefined
                ? `, sidecar CPU ${result.sidecarCpuSeconds.toFixed(2)} s (${sidecarCpuAtEnd.toFixed(2)} s of it during the transfer), waiting for a core ${result.sidecarRunQueueSeconds?.toFixed(2)} s, store CPU ${storeCpuSeconds.toFixed(2)} s` +
                  (result.secondsUntilStored !== undefined
                    ? `, all in the store after ${result.secondsUntilStored.toFixed(1)} s`
                    : '')
                : ''),
          );
        }
      }
    }
    // Which cipher the agent's client negotiated on its first hop (ssh -v names it).
    for (const name of ['direct', 'sidecar'] as const) {
      const r = await runCommand(
        'sh',
        ['-c', `${ssh(paths[name], 'cat /dev/null')} 2>&1`.replace('ssh ', 'ssh -v ')],
        { env },
      );
      if (name === 'sidecar') sessions++;
      const cipher = /kex: server->client cipher: (\S+)/.exec(r.stdout)?.[1];
      for (const result of results)
        if (result.path.startsWith(name) && cipher && !result.cipher) result.cipher = cipher;
      log(`${name}: client negotiated ${cipher ?? 'unknown'}`);
    }
    await shipped();
    // Sizes from the catalogue (the table and its partitions, if any): summing the payloads would
    // detoast every recorded byte again.
    const { rows } = await store.asAdmin((c) =>
      c.query<{ events: string; mib: string }>(
        `SELECT count(*) AS events, ((SELECT pg_total_relation_size('recording.events'::regclass) + coalesce(sum(pg_total_relation_size(inhrelid)), 0) FROM pg_inherits WHERE inhparent = 'recording.events'::regclass) / 1048576)::int AS mib FROM recording.events`,
      ),
    );
    log(
      `recorded: ${sessions} sessions, ${rows[0]?.events} events, ${rows[0]?.mib} MiB on disk in the store (both sidecars)`,
    );
    return results;
  } finally {
    for (const c of children) c.kill('SIGTERM');
    // The sidecars close their spools and store connections on SIGTERM.
    await Promise.all(
      children.map((c) => (c.exitCode !== null ? undefined : new Promise((r) => c.once('exit', r)))),
    );
    await store.server.stop();
    await oidc.stop();
    await sshd.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** One compared figure, shaped as the runner's common row (crewgate vs direct). */
export interface SshBenchRow {
  metric: string;
  unit: string;
  higherIsBetter: boolean;
  crewgate: number;
  direct?: number;
}

/** Best throughput of each scenario through the sidecar (plain and masked) against direct ssh. */
export function sshBenchRows(results: SshTransferResult[]): SshBenchRow[] {
  const best = (scenario: string, path: string) => {
    const runs = results.filter((r) => r.scenario === scenario && r.path === path);
    return runs.length === 0 ? undefined : Math.max(...runs.map((r) => r.mibPerSecond));
  };
  const rows: SshBenchRow[] = [];
  for (const scenario of [...new Set(results.map((r) => r.scenario))]) {
    const direct = best(scenario, 'direct');
    for (const path of ['sidecar', 'sidecar+masking']) {
      const crewgate = best(scenario, path);
      if (crewgate === undefined) continue;
      rows.push({
        metric: `${scenario}${path === 'sidecar' ? '' : ', masking on'}: throughput`,
        unit: 'MiB/s',
        higherIsBetter: true,
        crewgate,
        ...(direct !== undefined ? { direct } : {}),
      });
    }
  }
  return rows;
}

/** The SSH benchmark in the runner's registration shape (`name`, `title`, `run`). */
export const sshBench = {
  name: 'ssh',
  title: 'SSH: 256 MiB through ssh, direct to sshd and via the sidecar',
  async run(log: (line: string) => void) {
    const raw = await benchSsh(log);
    return { benchmark: 'ssh', rows: sshBenchRows(raw), raw };
  },
};
