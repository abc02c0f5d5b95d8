/**
 * The sidecar process: `crewgate-sidecar --config FILE`. Starts one listener per connection, the
 * metrics and health endpoints, and stops cleanly on SIGTERM. Prints one JSON line
 * `{"ready":true,...}` with the bound ports once it serves, for whoever started it.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { parseAllDocuments } from 'yaml';
import { initSqlClassifier, sqlParserFaults } from './classify/sql/index.js';
import { loadSidecarConfig, type SidecarConfig } from './config.js';
import { ControlPlaneApprover } from './control-plane/control-plane-approver.js';
import { NoApprover } from './enforcement/approver.js';
import { Enforcer } from './enforcement/enforcer.js';
import { SidecarMetrics } from './enforcement/metrics.js';
import { compileBundle, StaticBundleSource, type ObjectManifest } from './enforcement/policy-bundle.js';
import { JsonLinesRecorder, type SessionRecorder } from './enforcement/recorder.js';
import { openRecording, type Recording } from './recording/index.js';
import { TokenVerifier } from './identity/token-verifier.js';
import { createLogger } from './logging.js';
import { startPostgresListener, type PostgresListener } from './postgres/listener.js';

const log = createLogger('crewgate-sidecar');

function readManifests(files: string[]): {
  accessPolicies: ObjectManifest[];
  maskingRules: ObjectManifest[];
} {
  const docs = files.flatMap((f) =>
    parseAllDocuments(readFileSync(f, 'utf8'))
      .map((d) => d.toJS() as (ObjectManifest & { kind?: string }) | null)
      .filter((d): d is ObjectManifest & { kind?: string } => d !== null),
  );
  return {
    accessPolicies: docs.filter((d) => d.kind === 'AccessPolicy'),
    maskingRules: docs.filter((d) => d.kind === 'MaskingRule'),
  };
}

const readIfSet = (file: string | undefined) => (file ? readFileSync(file, 'utf8') : undefined);

/** The recorder the config asks for: the spooling, store-shipping one, or the JSON-lines stand-in. */
function openRecorder(
  config: SidecarConfig['recording'],
  metrics: SidecarMetrics,
): { recorder: SessionRecorder; recording?: Recording } {
  if ('file' in config) return { recorder: new JsonLinesRecorder(config.file) };
  const ca = readIfSet(config.store.tls.caFile);
  const recording = openRecording({
    dir: config.spoolDir,
    maxBytes: config.spoolMaxBytes,
    fsync:
      config.fsync === 'always' ? { mode: 'always' } : { mode: 'interval', intervalMs: config.intervalMs },
    store: {
      host: config.store.host,
      port: config.store.port,
      database: config.store.database,
      user: config.store.user,
      password: readFileSync(config.store.passwordFile, 'utf8').trim(),
      ssl:
        config.store.tls.mode === 'disable'
          ? false
          : {
              ca: ca ? [ca] : undefined,
              rejectUnauthorized: config.store.tls.mode === 'verify-full',
              servername: config.store.tls.serverName,
            },
    },
    metrics,
    logger: log.child({ component: 'recording' }),
  });
  return { recorder: recording.recorder, recording };
}

async function start(
  config: SidecarConfig,
): Promise<{ listeners: PostgresListener[]; http?: Server; recording?: Recording }> {
  await initSqlClassifier();
  const metrics = new SidecarMetrics();
  const { recorder, recording } = openRecorder(config.recording, metrics);
  const bundle = new StaticBundleSource(compileBundle(readManifests(config.policies.files)));
  const approvalPlane = config.approvals?.controlPlane;
  const approver = approvalPlane
    ? new ControlPlaneApprover({
        url: approvalPlane.url,
        tokenFile: approvalPlane.tokenFile,
        caCertificates: approvalPlane.caFile ? [readFileSync(approvalPlane.caFile, 'utf8')] : undefined,
      })
    : new NoApprover();
  const enforcer = new Enforcer({ bundle, approver, recorder, metrics });
  const verifier = new TokenVerifier(
    config.identity.issuers.map((i) => ({
      issuer: i.issuer,
      audiences: i.audiences,
      kind: i.kind,
      groupsClaim: i.groupsClaim,
      clockSkewSeconds: i.clockSkewSeconds,
      caCertificates: i.caFile ? [readFileSync(i.caFile, 'utf8')] : undefined,
    })),
  );
  const workload = config.identity.workload;

  const listeners: PostgresListener[] = [];
  for (const c of config.connections) {
    const ca = readIfSet(c.upstream.tls.caFile);
    listeners.push(
      await startPostgresListener(
        {
          connection: c.name,
          host: c.listen.host,
          port: c.listen.port,
          upstream: async () => ({
            host: c.upstream.host,
            port: c.upstream.port,
            database: c.upstream.database,
            // Read per session: a rotated Secret applies to the next session without a restart.
            user: c.credentials.username ?? readFileSync(c.credentials.usernameFile!, 'utf8').trim(),
            password: readFileSync(c.credentials.passwordFile, 'utf8').trim(),
            tls: {
              mode: c.upstream.tls.mode,
              ca: ca ? [ca] : undefined,
              serverName: c.upstream.tls.serverName,
            },
          }),
          tls: c.clientTls
            ? {
                certificatePem: readFileSync(c.clientTls.certFile, 'utf8'),
                privateKeyPem: readFileSync(c.clientTls.keyFile, 'utf8'),
              }
            : undefined,
          requireTls: c.clientTls?.require ?? false,
          workloadIdentity: workload,
          maxMessageBytes: c.maxMessageBytes,
        },
        { enforcer, verifier, recorder, metrics, logger: log },
      ),
    );
  }

  let http: Server | undefined;
  if (config.metrics) {
    http = createServer((req, res) => {
      if (req.url === '/metrics') {
        metrics.registry.metrics().then((body) => {
          res.writeHead(200, { 'content-type': metrics.registry.contentType });
          res.end(body);
        });
      } else if (req.url === '/healthz') {
        res.end('ok');
      } else if (req.url === '/readyz') {
        // A wedged SQL parser fails every statement closed; report it so the pod is restarted.
        const faults = sqlParserFaults();
        res
          .writeHead(faults === 0 ? 200 : 503)
          .end(faults === 0 ? 'ok' : `sql parser faulted ${faults} times`);
      } else {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((resolve) =>
      http!.listen(config.metrics!.port, config.metrics!.host, () => resolve()),
    );
  }
  const metricsAddress = http?.address();
  console.log(
    JSON.stringify({
      ready: true,
      pid: process.pid,
      listeners: Object.fromEntries(config.connections.map((c, i) => [c.name, listeners[i]!.port])),
      metricsPort: typeof metricsAddress === 'object' && metricsAddress ? metricsAddress.port : undefined,
    }),
  );
  return { listeners, http, recording };
}

function argument(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const configPath = argument('--config');
if (!configPath) {
  console.error('usage: crewgate-sidecar --config FILE');
  process.exit(2);
}
try {
  const running = await start(loadSidecarConfig(configPath));
  const stop = async () => {
    log.info('shutting down');
    await Promise.all(running.listeners.map((l) => l.close()));
    // Ship what the spool holds for a few seconds; what is left is shipped by the next start.
    await running.recording?.close(5_000);
    running.http?.close();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop());
  process.once('SIGINT', () => void stop());
} catch (error) {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
}
