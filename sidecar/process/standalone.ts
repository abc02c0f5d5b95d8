/**
 * The standalone sidecar (demo, benchmarks, tests outside a cluster): policies from manifest
 * files, credentials and CAs from files read at every session start (a rotated file applies to the
 * next session), the recording store's password from a file.
 */
import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import { parseAllDocuments } from 'yaml';
import type { ResolvedTarget } from '../adapters/protocol-adapter.js';
import type { CredentialSource, StandaloneConfig, StandaloneConnection } from '../config.js';
import { ControlPlaneApprover } from '../control-plane/control-plane-approver.js';
import { NoApprover } from '../enforcement/approver.js';
import type { SidecarMetrics } from '../enforcement/metrics.js';
import { compileBundle, StaticBundleSource, type ObjectManifest } from '../enforcement/policy-bundle.js';
import { JsonLinesRecorder, type SessionRecorder } from '../enforcement/recorder.js';
import { TokenVerifier } from '../identity/token-verifier.js';
import type { Recording } from '../recording/index.js';
import { openStoreRecording } from './recording.js';
import type { SidecarRuntime } from './runtime.js';

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

function credential(source: CredentialSource): string {
  return 'value' in source ? source.value : readFileSync(source.file, 'utf8').replace(/\r?\n$/, '');
}

/** The target resolver of one standalone connection: files are read per session. */
export function standaloneTarget(c: StandaloneConnection): () => Promise<ResolvedTarget> {
  return async () => {
    const ca = readIfSet(c.caFile);
    return {
      spec: c.target,
      credentials: Object.fromEntries(Object.entries(c.credentials).map(([k, v]) => [k, credential(v)])),
      ...(ca ? { caCertificates: [ca] } : {}),
    };
  };
}

export function standaloneRuntime(
  config: StandaloneConfig,
  metrics: SidecarMetrics,
  log: Logger,
): SidecarRuntime {
  let recorder: SessionRecorder;
  let recording: Recording | undefined;
  if ('file' in config.recording) {
    recorder = new JsonLinesRecorder(config.recording.file);
  } else {
    const r = config.recording;
    const ca = readIfSet(r.store.tls.caFile);
    ({ recorder, recording } = openStoreRecording(
      r,
      {
        host: r.store.host,
        port: r.store.port,
        database: r.store.database,
        user: r.store.user,
        password: readFileSync(r.store.passwordFile, 'utf8').trim(),
        tls: {
          mode: r.store.tls.mode,
          caCertificates: ca ? [ca] : undefined,
          serverName: r.store.tls.serverName,
        },
      },
      metrics,
      log,
    ));
  }
  const approvalPlane = config.approvals?.controlPlane;
  const approver = approvalPlane
    ? new ControlPlaneApprover({
        url: approvalPlane.url,
        tokenFile: approvalPlane.tokenFile,
        caCertificates: approvalPlane.caFile ? [readFileSync(approvalPlane.caFile, 'utf8')] : undefined,
      })
    : new NoApprover();
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
  return {
    bundle: new StaticBundleSource(compileBundle(readManifests(config.policies.files))),
    approver,
    recorder,
    verifier,
    workloadIdentity: config.identity.workload,
    listeners: config.connections.map((c) => ({
      connection: c.name,
      type: c.type,
      listen: c.listen,
      target: standaloneTarget(c),
      options: c.options,
    })),
    metrics: config.metrics,
    notReady: () => undefined,
    close: async (drainMs) => {
      await recording?.close(drainMs);
    },
  };
}
