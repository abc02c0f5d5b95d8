/**
 * The sidecar's Kubernetes API listener in the test process, in front of the harness's real
 * kube-apiserver: the Connection's credential is a real service-account token (TokenRequest) of
 * a ServiceAccount with a RoleBinding in the test's own namespace, and the agent's kubectl uses
 * the kubeconfig the injector writes plus an OIDC token from the harness IdP.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HarnessInfo } from '../../harness/index.js';
import { kubectl, runCommand, type RunResult } from '../../harness/run.js';
import type { Identity } from '../../../sidecar/core/command.js';
import type { RunningListener } from '../../../sidecar/adapters/protocol-adapter.js';
import type { Approver } from '../../../sidecar/enforcement/approver.js';
import type { SidecarMetrics } from '../../../sidecar/enforcement/metrics.js';
import type { MemoryRecorder } from '../../../sidecar/enforcement/recorder.js';
import { TokenVerifier } from '../../../sidecar/identity/token-verifier.js';
import { silentLogger } from '../../../sidecar/logging.js';
import { kubernetesAdapter } from '../../../sidecar/kubernetes/adapter.js';
import { renderKubeconfig as renderInjectedKubeconfig } from '../../../operator/injection/kubeconfig.js';
import { issueCertificate, loadCertificateAuthority } from '../../../operator/pki/certificates.js';
import { harnessEnforcement, type Manifests } from './harness-enforcement.js';

/** The ServiceAccount the sidecar acts as, with its token, in a namespace of the test's own. */
export interface ProxyAccount {
  namespace: string;
  serviceAccount: string;
  token: string;
}

const admin = async (harness: HarnessInfo, args: string[], input?: string): Promise<RunResult> => {
  const result = await kubectl(harness, args, input === undefined ? {} : { input });
  if (result.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed: ${result.stderr}`);
  return result;
};

/**
 * Creates `namespace` with a ServiceAccount `crewgate-proxy` that may do anything in it (and, with
 * `impersonate`, impersonate any user and group), and returns a TokenRequest token for it.
 */
export async function createProxyAccount(
  harness: HarnessInfo,
  namespace: string,
  options: { impersonate?: boolean } = {},
): Promise<ProxyAccount> {
  const sa = 'crewgate-proxy';
  const docs = [
    `apiVersion: v1\nkind: Namespace\nmetadata: { name: ${namespace} }`,
    `apiVersion: v1\nkind: ServiceAccount\nmetadata: { name: ${sa}, namespace: ${namespace} }`,
    // Pods need their service account to exist (the harness runs no controller-manager to make it).
    `apiVersion: v1\nkind: ServiceAccount\nmetadata: { name: default, namespace: ${namespace} }`,
    `apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: { name: ${sa}, namespace: ${namespace} }\nrules:\n  - { apiGroups: ['*'], resources: ['*'], verbs: ['*'] }`,
    `apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: { name: ${sa}, namespace: ${namespace} }\nroleRef: { apiGroup: rbac.authorization.k8s.io, kind: Role, name: ${sa} }\nsubjects: [{ kind: ServiceAccount, name: ${sa}, namespace: ${namespace} }]`,
  ];
  if (options.impersonate) {
    docs.push(
      `apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: { name: ${namespace}-impersonator }\nrules:\n  - { apiGroups: [''], resources: [users, groups], verbs: [impersonate] }`,
      `apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: { name: ${namespace}-impersonator }\nroleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: ${namespace}-impersonator }\nsubjects: [{ kind: ServiceAccount, name: ${sa}, namespace: ${namespace} }]`,
    );
  }
  await admin(harness, ['apply', '-f', '-'], docs.join('\n---\n'));
  const token = (
    await admin(harness, ['create', 'token', sa, '-n', namespace, '--duration=1h'])
  ).stdout.trim();
  return { namespace, serviceAccount: sa, token };
}

export interface KubeProxyUnderTest {
  listener: RunningListener;
  recorder: MemoryRecorder;
  metrics: SidecarMetrics;
  /** The kubeconfig the injector would write for this listener (no credentials in it). */
  kubeconfig: string;
  /** The agent's kubectl: the injected kubeconfig, plus `--token` when one is given. */
  kubectl(
    token: string | undefined,
    args: string[],
    input?: string,
    /** Added to the environment (e.g. KUBECTL_REMOTE_COMMAND_WEBSOCKETS=false for SPDY). */
    env?: Record<string, string>,
  ): Promise<RunResult>;
}

export async function startKubeProxy(
  harness: HarnessInfo,
  account: ProxyAccount,
  options: {
    impersonate?: boolean;
    /** The Connection's `spec.address` (default: the harness API server). */
    address?: string;
    approver?: Approver;
    /** Policies given directly (e.g. rewritten for a test's own namespace); default the kube-policies fixture. */
    manifests?: Manifests;
    workloadIdentity?: Identity;
    /**
     * Serve TLS with a certificate from the harness CA. kubectl sends `--token` only over TLS
     * (client-go drops bearer tokens for http:// servers), so an agent's own token needs this.
     */
    serveTls?: boolean;
    listenerOptions?: Record<string, unknown>;
  } = {},
): Promise<KubeProxyUnderTest> {
  const { recorder, metrics, approver, enforcer } = harnessEnforcement({
    fixture: 'test/integration/fixtures/kube-policies.yaml',
    manifests: options.manifests,
    approver: options.approver,
  });
  const verifier = new TokenVerifier([
    {
      issuer: harness.oidc.issuer,
      audiences: [harness.oidc.audience],
      caCertificates: [readFileSync(harness.oidc.caCertificateFile, 'utf8')],
    },
  ]);
  const cp = harness.controlPlane;
  let listenerOptions = options.listenerOptions;
  if (options.serveTls) {
    const ca = await loadCertificateAuthority(
      readFileSync(harness.caCertificateFile, 'utf8'),
      readFileSync(harness.caKeyFile, 'utf8'),
    );
    const serving = await issueCertificate(ca, {
      commonName: 'crewgate-sidecar',
      ipAddresses: ['127.0.0.1'],
      usage: 'server',
      validDays: 1,
    });
    listenerOptions = {
      ...listenerOptions,
      tls: { certificate: { pem: serving.certificatePem }, key: { pem: serving.privateKeyPem } },
    };
  }
  const listener = await kubernetesAdapter.start(
    {
      connection: 'cluster',
      listen: { host: '127.0.0.1', port: 0 },
      options: listenerOptions,
      target: async () => ({
        spec: {
          type: 'kubernetes',
          address: options.address ?? cp.server,
          tls: { mode: 'verify-full' },
          kubernetes: { impersonate: options.impersonate ?? false },
        },
        credentials: { token: account.token },
        caCertificates: [readFileSync(cp.caCertificateFile, 'utf8')],
      }),
    },
    {
      enforcer,
      verifier,
      recorder,
      metrics,
      logger: silentLogger(),
      approver,
      ...(options.workloadIdentity ? { workloadIdentity: options.workloadIdentity } : {}),
    },
  );
  const dir = mkdtempSync(join(tmpdir(), 'crewgate-kube-proxy-'));
  const kubeconfig = join(dir, 'kubeconfig');
  let text =
    renderInjectedKubeconfig([
      { name: 'cluster', type: 'kubernetes', address: '127.0.0.1', port: 443, listenPort: listener.port },
    ]) ?? '';
  if (options.serveTls) {
    text = text
      .replace('http://', 'https://')
      .replace(/server: (.*)/, `server: $1\n      certificate-authority: ${harness.caCertificateFile}`);
  }
  writeFileSync(kubeconfig, text, { mode: 0o600 });
  return {
    listener,
    recorder,
    metrics,
    kubeconfig,
    kubectl: (token, args, input, env) =>
      runCommand(
        cp.kubectl,
        ['--kubeconfig', kubeconfig, ...(token ? ['--token', token] : []), '-n', account.namespace, ...args],
        {
          ...(input === undefined ? {} : { input }),
          ...(env ? { env: { ...process.env, ...env } } : {}),
        },
      ),
  };
}

/** The two wire protocols kubectl speaks for exec and attach, and the environment that picks each. */
export const REMOTE_COMMAND_PROTOCOLS = [
  { name: 'WebSocket', env: { KUBECTL_REMOTE_COMMAND_WEBSOCKETS: 'true' } },
  { name: 'SPDY/3.1', env: { KUBECTL_REMOTE_COMMAND_WEBSOCKETS: 'false' } },
] as const;
