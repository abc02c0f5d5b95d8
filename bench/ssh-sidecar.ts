/**
 * The SSH adapter in a process of its own for the benchmark, so its CPU time can be read from
 * /proc and it does not share an event loop with the benchmark driver. Until the sidecar process
 * wires the SSH adapter (sidecar/adapters/registry.ts), this is the same adapter code with the
 * same real pieces: TokenVerifier, Enforcer over compiled policies, and the recording a sidecar
 * ships with (sidecar/process/recording.ts): the SpoolingRecorder on a spool directory, shipped
 * by the Shipper to a real recording store (PostgreSQL provisioned by the operator's code).
 * Usage: tsx bench/ssh-sidecar.ts CONFIG.json; prints {"ready":true,"port":N} when listening.
 */
import { readFileSync } from 'node:fs';
import { NoApprover } from '../sidecar/enforcement/approver.js';
import type { SessionRecorder } from '../sidecar/enforcement/recorder.js';
import { Enforcer } from '../sidecar/enforcement/enforcer.js';
import { SidecarMetrics } from '../sidecar/enforcement/metrics.js';
import { compileBundle, StaticBundleSource } from '../sidecar/enforcement/policy-bundle.js';
import { TokenVerifier } from '../sidecar/identity/token-verifier.js';
import { createLogger } from '../sidecar/logging.js';
import { openStoreRecording, type StoreSettings } from '../sidecar/process/recording.js';
import { sshAdapter } from '../sidecar/ssh/adapter.js';
import { loadManifests } from '../test/integration/support/harness-enforcement.js';

export interface SshSidecarConfig {
  connection: string;
  issuer: string;
  audience: string;
  caFile: string;
  policiesFile: string;
  /** The spool directory and the store it ships to, with the sidecar's defaults otherwise. */
  recording: { spoolDir: string; store: StoreSettings };
  target: { address: string; user: string; hostKey: string; privateKeyFile: string };
  hostKeyPem: string;
  /**
   * `shipped` (what a sidecar does); for diagnosis only, `spool only` (no shipper) or `off` (no
   * recorder at all). BENCH_SSH_RECORDING in bench/ssh.ts.
   */
  recordingMode: 'shipped' | 'spool only' | 'off';
}

const config = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as SshSidecarConfig;
const metrics = new SidecarMetrics();
const logger = createLogger('crewgate-sidecar');
const { recorder: spoolingRecorder, recording } = openStoreRecording(
  // The sidecar config's defaults (sidecar/config.ts): 256 MiB bound, fdatasync every 100 ms.
  {
    spoolDir: config.recording.spoolDir,
    // Spool only never ships, so its bound would refuse the second transfer.
    spoolMaxBytes: config.recordingMode === 'spool only' ? Number.MAX_SAFE_INTEGER : 256 * 1024 * 1024,
    fsync: 'interval',
    intervalMs: 100,
  },
  config.recording.store,
  metrics,
  logger,
);
// The two diagnostic settings (never the figures the table reports): what the spool alone costs,
// and what relaying costs with no recording at all.
if (config.recordingMode === 'spool only') void recording.shipper.stop(0);
const recorder: SessionRecorder =
  config.recordingMode === 'off'
    ? { record: () => undefined, recordTerminal: () => undefined, accepting: () => ({ ok: true }) }
    : spoolingRecorder;
const enforcer = new Enforcer({
  bundle: new StaticBundleSource(compileBundle(loadManifests(config.policiesFile))),
  approver: new NoApprover(),
  recorder,
  metrics,
});
const verifier = new TokenVerifier([
  {
    issuer: config.issuer,
    audiences: [config.audience],
    caCertificates: [readFileSync(config.caFile, 'utf8')],
  },
]);
const privateKey = readFileSync(config.target.privateKeyFile, 'utf8');
const listener = await sshAdapter.start(
  {
    connection: config.connection,
    listen: { host: '127.0.0.1', port: 0 },
    target: async () => ({
      spec: {
        type: 'ssh',
        address: config.target.address,
        ssh: { user: config.target.user, hostKey: config.target.hostKey },
      },
      credentials: { privateKey },
    }),
    options: { hostKeyPem: config.hostKeyPem },
  },
  { enforcer, verifier, recorder, metrics, logger },
);
console.log(JSON.stringify({ ready: true, port: listener.port }));
// A clean exit on SIGTERM, so `--cpu-prof` (BENCH_NODE_ARGS) writes its profile.
process.once('SIGTERM', () => {
  void listener
    .close()
    .then(() => recording.close(2_000))
    .finally(() => process.exit(0));
});
