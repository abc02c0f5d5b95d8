/**
 * The in-pod sidecar (config `kind: InPodSidecarConfig`, written by the injector): it takes
 * everything from the control plane with its projected token — who it is, the issuers to trust and
 * the recording store (`/v1/settings`, once at start, retried until the control plane answers);
 * the policies, masking rules, Window grants and connection targets (the bundle watch; every
 * command is denied until the first bundle); credentials and the target CA per session
 * (`/v1/credentials`, memory only); approvals (ControlPlaneApprover). Nothing is read from disk but
 * the token (re-read on every request: the kubelet rotates it) and the control plane's CA.
 *
 * Kubernetes listeners serve TLS with a loopback certificate made here at start (loopback-tls.ts
 * says why), and in env mode the kubeconfig trusting its CA is written for the app containers. SSH
 * listeners get a host key made here at start, and in env mode the ssh_config and known_hosts
 * pinning it (loopback-ssh.ts).
 */
import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import type { ConnectionSpec } from '../../crds/schemas/connection.js';
import type { ResolvedTarget } from '../adapters/protocol-adapter.js';
import type { InPodConfig } from '../config.js';
import type { Identity } from '../core/command.js';
import { ControlPlaneApprover } from '../control-plane/control-plane-approver.js';
import { ControlPlaneClient, type SettingsDocument } from '../control-plane/control-plane-client.js';
import type { SidecarMetrics } from '../enforcement/metrics.js';
import type { SessionRecorder } from '../enforcement/recorder.js';
import { TokenVerifier } from '../identity/token-verifier.js';
import { SessionEndReporter, type Recording } from '../recording/index.js';
import type { ClientFile } from './client-file.js';
import { loopbackKubernetes } from './loopback-kubernetes.js';
import { loopbackSsh, type HostKeyPair } from './loopback-ssh.js';
import { issueLoopbackCertificate } from './loopback-tls.js';
import { openStoreRecording, refusingRecorder } from './recording.js';
import type { SidecarRuntime } from './runtime.js';
import { generateEd25519KeyPair } from '../ssh/host-key.js';

/** Spool bounds of an in-pod sidecar (the config carries only the directory). */
const SPOOL = { spoolMaxBytes: 256 * 1024 * 1024, fsync: 'interval', intervalMs: 100 } as const;

export class TargetUnavailableError extends Error {
  override name = 'TargetUnavailableError';
}

/** Asks until the control plane answers: a sidecar that does not know its issuers or store cannot serve. */
async function settingsWithRetry(client: ControlPlaneClient, log: Logger): Promise<SettingsDocument> {
  for (let delay = 250; ; delay = Math.min(delay * 2, 5_000)) {
    try {
      return await client.settings();
    } catch (error) {
      log.warn({ err: (error as Error).message, retryInMs: delay }, 'control plane settings unavailable');
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}

/** The pod's own identity, for clients that present no token: its service account, as verified by the control plane. */
export function workloadIdentity(workload: SettingsDocument['workload']): Identity {
  return {
    subject: `system:serviceaccount:${workload.namespace}:${workload.serviceAccount}`,
    groups: ['system:serviceaccounts', `system:serviceaccounts:${workload.namespace}`],
    serviceAccount: `${workload.namespace}/${workload.serviceAccount}`,
    pod: `${workload.namespace}/${workload.pod}`,
  };
}

export async function inPodRuntime(
  config: InPodConfig,
  metrics: SidecarMetrics,
  log: Logger,
): Promise<SidecarRuntime> {
  const caCertificates = config.controlPlane.caFile
    ? [readFileSync(config.controlPlane.caFile, 'utf8')]
    : undefined;
  const plane = { url: config.controlPlane.url, tokenFile: config.controlPlane.tokenFile, caCertificates };
  const client = new ControlPlaneClient({ ...plane, logger: log.child({ component: 'control-plane' }) });
  const settings = await settingsWithRetry(client, log);
  log.info(
    {
      pod: `${settings.workload.namespace}/${settings.workload.pod}`,
      issuers: settings.issuers.map((i) => i.issuer),
      recordingStore: settings.recording ? `${settings.recording.host}:${settings.recording.port}` : null,
    },
    'settings from the control plane',
  );
  client.start();

  let recorder: SessionRecorder;
  let recording: Recording | undefined;
  // Each session's final hash also goes to the operator, off the hot path (session-end-reporter.ts).
  const reporter = new SessionEndReporter({
    send: (summary) => client.sessionEnded(summary),
    logger: log.child({ component: 'session-end-reporter' }),
    metrics,
  });
  if (settings.recording) {
    ({ recorder, recording } = openStoreRecording(
      { spoolDir: config.recording.spoolDir, ...SPOOL },
      settings.recording,
      metrics,
      log,
      (summary) => reporter.report(summary),
    ));
  } else {
    log.error('the control plane configures no recording store; every command is refused');
    recorder = refusingRecorder('the operator has no recording store configured (CREWGATE_RECORDING_STORE)');
  }

  const target = (connection: string) => async (): Promise<ResolvedTarget> => {
    const entry = client.lastDocument?.connections.find((c) => c.name === connection);
    if (!entry)
      throw new TargetUnavailableError(
        client.hasBundle
          ? `connection ${connection} is not in this pod's bundle (deleted, or in another namespace)`
          : 'no policy bundle from the control plane yet',
      );
    const session = await client.sessionCredentials(connection);
    return {
      spec: entry.spec as Omit<ConnectionSpec, 'credentialsRef'>,
      credentials: session.credentials,
      ...(session.caCertificates ? { caCertificates: session.caCertificates } : {}),
    };
  };

  const kube = config.connections.some((c) => c.type === 'kubernetes')
    ? loopbackKubernetes(config, await issueLoopbackCertificate())
    : undefined;
  const ssh = loopbackSsh(config, newHostKey);
  const clientFiles: ClientFile[] = [
    ...(kube?.kubeconfig ? [{ ...kube.kubeconfig, what: 'kubeconfig (https, loopback CA)' }] : []),
    ...(ssh.files ?? []),
  ];

  return {
    bundle: client,
    approver: new ControlPlaneApprover({ ...plane, onWindowGranted: (grant) => client.noteGrant(grant) }),
    recorder,
    verifier: new TokenVerifier(settings.issuers),
    workloadIdentity: workloadIdentity(settings.workload),
    listeners: config.connections.map((c) => ({
      connection: c.name,
      type: c.type,
      listen: c.listen,
      target: target(c.name),
      ...(kube?.options.has(c.name) ? { options: kube.options.get(c.name) } : {}),
      ...(ssh.options.has(c.name) ? { options: ssh.options.get(c.name) } : {}),
    })),
    ...(clientFiles.length > 0 ? { clientFiles } : {}),
    metrics: config.metrics,
    notReady: () => (client.hasBundle ? undefined : 'waiting for the first policy bundle'),
    close: async (drainMs) => {
      await recording?.close(drainMs);
      await reporter.stop(Math.min(drainMs ?? 0, 2_000));
      client.stop();
    },
  };
}

/** A fresh ed25519 host key, memory only: a restarted sidecar makes a new one and rewrites known_hosts. */
function newHostKey(): HostKeyPair {
  const pair = generateEd25519KeyPair();
  return { privatePem: pair.private, publicOpenSsh: pair.public };
}
