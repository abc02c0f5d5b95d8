/**
 * The two processes of the HTTP benchmark, so wrk, the upstream and the proxy never share an
 * event loop: `upstream` is the tests' JSON API; `sidecar` is the HTTP adapter with the real
 * pipeline (token verification against the bench IdP, the enforcer over bench/policies-http.yaml,
 * the recording that ships: `SpoolingRecorder` on a spool with `fsync: interval`, shipped to a
 * real recording store); `httpxy` is httpxy alone in front of the upstream, with no policy,
 * the floor any proxy built on it pays (what PgBouncer is for the PostgreSQL benchmark). Each
 * prints one JSON line with its port when ready.
 *
 * Usage: tsx bench/http-processes.ts upstream | httpxy <upstream URL> | sidecar <json settings>
 */
import { readFileSync } from 'node:fs';
import { Agent, createServer } from 'node:http';
import { createProxyServer } from 'httpxy';
import { join } from 'node:path';
import { pino } from 'pino';
import { repositoryRoot } from '../test/harness/paths.js';
import { loadManifests } from '../test/integration/support/postgres-proxy.js';
import { startJsonApi } from '../test/integration/support/json-api.js';
import { NoApprover } from '../sidecar/enforcement/approver.js';
import type { SessionRecorder } from '../sidecar/enforcement/recorder.js';
import { Enforcer } from '../sidecar/enforcement/enforcer.js';
import { SidecarMetrics } from '../sidecar/enforcement/metrics.js';
import { compileBundle, StaticBundleSource } from '../sidecar/enforcement/policy-bundle.js';
import { httpAdapter } from '../sidecar/http/adapter.js';
import { TokenVerifier } from '../sidecar/identity/token-verifier.js';
import { openRecording, type PgEventStoreOptions } from '../sidecar/recording/index.js';

export interface SidecarSettings {
  upstream: string;
  issuer: string;
  audience: string;
  caFile: string;
  /** The spool directory (the pod's emptyDir). */
  spoolDir: string;
  /** The recording store, as the sidecar role writes to it. */
  store: PgEventStoreOptions;
  /**
   * `shipped` (what the sidecar does: spooled, then shipped to the store); for diagnosis only,
   * `spool only` (no shipper) or `off` (no recorder at all). BENCH_HTTP_RECORDING in bench/http.ts.
   */
  recording: 'shipped' | 'spool only' | 'off';
}

const [role, settings] = process.argv.slice(2);
if (role === 'upstream') {
  const api = await startJsonApi({ keep: false });
  console.log(JSON.stringify({ ready: true, port: api.port }));
} else if (role === 'httpxy') {
  const target = new URL(settings ?? '');
  const proxy = createProxyServer({});
  const agent = new Agent({ keepAlive: true, maxSockets: 256, maxFreeSockets: 64 });
  const server = createServer((req, res) => {
    proxy.web(req, res, { target, agent }).catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  // Exit (rather than die) on SIGTERM so --cpu-prof can write its profile.
  process.once('SIGTERM', () => process.exit(0));
  const address = server.address();
  console.log(
    JSON.stringify({ ready: true, port: typeof address === 'object' && address ? address.port : 0 }),
  );
} else if (role === 'sidecar') {
  const s = JSON.parse(settings ?? '{}') as SidecarSettings;
  const bundle = new StaticBundleSource(compileBundle(loadManifests('bench/policies-http.yaml')));
  const metrics = new SidecarMetrics();
  // The sidecar's defaults (sidecar/config.ts): 256 MiB bound, fdatasync every 100 ms.
  const recording = openRecording({
    dir: s.spoolDir,
    fsync: { mode: 'interval', intervalMs: 100 },
    maxBytes: 256 * 1024 * 1024,
    store: s.store,
    metrics,
  });
  // The two diagnostic settings (never the figures the table reports): what the spool alone costs,
  // and what the adapter costs with no recording at all.
  if (s.recording === 'spool only') void recording.shipper.stop(0);
  const recorder: SessionRecorder =
    s.recording === 'off'
      ? { record: () => undefined, recordTerminal: () => undefined, accepting: () => ({ ok: true }) }
      : recording.recorder;
  const enforcer = new Enforcer({ bundle, approver: new NoApprover(), recorder, metrics });
  const verifier = new TokenVerifier([
    { issuer: s.issuer, audiences: [s.audience], caCertificates: [readFileSync(s.caFile, 'utf8')] },
  ]);
  const listener = await httpAdapter.start(
    {
      connection: 'bench-api',
      listen: { host: '127.0.0.1', port: 0 },
      target: async () => ({
        spec: { type: 'http', address: s.upstream },
        credentials: { value: 'Bearer bench-upstream-credential' },
      }),
    },
    { enforcer, verifier, recorder, metrics, logger: pino({ level: 'warn' }) },
  );
  // Exit (rather than die) on SIGTERM so --cpu-prof can write its profile.
  process.once('SIGTERM', () => {
    void listener
      .close()
      .then(() => recording.close(2000))
      .finally(() => {
        console.log(
          JSON.stringify({ shipped: recording.shipper.shipped, spoolDepth: recording.spool.depth }),
        );
        process.exit(0);
      });
  });
  console.log(JSON.stringify({ ready: true, port: listener.port }));
} else {
  console.error(
    `usage: ${join(repositoryRoot, 'bench/http-processes.ts')} upstream | httpxy <url> | sidecar <settings>`,
  );
  process.exit(2);
}
