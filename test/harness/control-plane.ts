/**
 * etcd + kube-apiserver on loopback, configured the way controller-runtime's envtest runs them:
 * a serving certificate for 127.0.0.1, an admin client certificate in system:masters, RBAC
 * authorization, and an https service-account issuer with its own signing key, so TokenRequest
 * works and /.well-known/openid-configuration and /openid/v1/jwks are served.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  createCertificateAuthority,
  generateRsaKeyPairPem,
  issueCertificate,
  toPrivateKeyPem,
} from '../../operator/pki/certificates.js';
import type { Binaries } from './binaries.js';
import { httpsGet } from './https-probe.js';
import { renderKubeconfig, type ControlPlaneAccess } from './kubeconfig.js';
import { freePort } from './ports.js';
import { ManagedProcess } from './process.js';

const run = promisify(execFile);

export interface ControlPlaneInfo extends ControlPlaneAccess {
  /** https://127.0.0.1:PORT, also the service-account issuer. */
  server: string;
  serviceAccountIssuer: string;
  /** PEM private key the API server signs service-account tokens with (tests forge expired ones). */
  serviceAccountKeyFile: string;
  adminKubeconfig: string;
  kubectl: string;
  etcdUrl: string;
  version: string;
}

export interface ControlPlane {
  info: ControlPlaneInfo;
  kubectl(args: string[], options?: { input?: string; kubeconfig?: string }): Promise<string>;
  stop(): Promise<void>;
}

/**
 * Lets anyone fetch the issuer's discovery document and keys, as clusters that federate their
 * service-account tokens do; the keys are public by nature.
 */
const PUBLIC_ISSUER_DISCOVERY = `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: crewgate-harness-public-issuer-discovery
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: system:service-account-issuer-discovery
subjects:
  - apiGroup: rbac.authorization.k8s.io
    kind: Group
    name: system:unauthenticated
`;

export async function startControlPlane(
  binaries: Binaries,
  dir: string,
  version: string,
): Promise<ControlPlane> {
  const pki = join(dir, 'pki');
  mkdirSync(pki, { recursive: true });
  const file = (name: string, content: string) => {
    const path = join(pki, name);
    writeFileSync(path, content, { mode: 0o600 });
    return path;
  };

  const [etcdClientPort, etcdPeerPort, securePort] = [await freePort(), await freePort(), await freePort()];
  const server = `https://127.0.0.1:${securePort}`;

  const servingCa = await createCertificateAuthority('crewgate-harness-serving-ca');
  const clientCa = await createCertificateAuthority('crewgate-harness-client-ca');
  const serving = await issueCertificate(servingCa, {
    commonName: 'kube-apiserver',
    dnsNames: ['localhost', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc'],
    ipAddresses: ['127.0.0.1', '10.0.0.1'],
    usage: 'server',
  });
  const admin = await issueCertificate(clientCa, {
    commonName: 'crewgate-admin',
    organizations: ['system:masters'],
    usage: 'client',
  });
  const serviceAccountKey = await generateRsaKeyPairPem();

  const caCertificateFile = file('serving-ca.crt', servingCa.certificatePem);
  const clientCaCertificateFile = file('client-ca.crt', clientCa.certificatePem);
  const clientCaKeyFile = file('client-ca.key', await toPrivateKeyPem(clientCa.keys.privateKey));
  const servingCertFile = file('apiserver.crt', serving.certificatePem);
  const servingKeyFile = file('apiserver.key', serving.privateKeyPem);
  const saKeyFile = file('sa.key', serviceAccountKey.privateKeyPem);
  const saPubFile = file('sa.pub', serviceAccountKey.publicKeyPem);
  const adminKubeconfig = join(dir, 'admin.kubeconfig');
  writeFileSync(
    adminKubeconfig,
    renderKubeconfig({
      server,
      caCertificatePem: servingCa.certificatePem,
      user: 'crewgate-admin',
      clientCertificatePem: admin.certificatePem,
      clientKeyPem: admin.privateKeyPem,
    }),
    { mode: 0o600 },
  );

  const etcdUrl = `http://127.0.0.1:${etcdClientPort}`;
  const peerUrl = `http://127.0.0.1:${etcdPeerPort}`;
  const etcd = new ManagedProcess({
    name: 'etcd',
    command: binaries.etcd,
    logFile: join(dir, 'etcd.log'),
    args: [
      '--name=harness',
      `--data-dir=${join(dir, 'etcd-data')}`,
      `--listen-client-urls=${etcdUrl}`,
      `--advertise-client-urls=${etcdUrl}`,
      `--listen-peer-urls=${peerUrl}`,
      `--initial-advertise-peer-urls=${peerUrl}`,
      `--initial-cluster=harness=${peerUrl}`,
      // Tests throw the data away; fsync would only slow every write on a shared disk.
      '--unsafe-no-fsync=true',
      '--log-level=warn',
    ],
  });
  try {
    await etcd.waitUntilReady(async () => {
      const res = await fetch(`${etcdUrl}/health`);
      return res.ok && ((await res.json()) as { health?: string }).health === 'true';
    }, 30_000);
  } catch (error) {
    await etcd.stop();
    throw error;
  }

  const apiserver = new ManagedProcess({
    name: 'kube-apiserver',
    command: binaries.kubeApiserver,
    logFile: join(dir, 'kube-apiserver.log'),
    args: [
      `--etcd-servers=${etcdUrl}`,
      `--cert-dir=${join(dir, 'apiserver-certs')}`,
      `--secure-port=${securePort}`,
      '--bind-address=127.0.0.1',
      '--advertise-address=127.0.0.1',
      `--tls-cert-file=${servingCertFile}`,
      `--tls-private-key-file=${servingKeyFile}`,
      `--client-ca-file=${clientCaCertificateFile}`,
      `--service-account-issuer=${server}`,
      `--service-account-key-file=${saPubFile}`,
      `--service-account-signing-key-file=${saKeyFile}`,
      '--service-cluster-ip-range=10.0.0.0/24',
      '--authorization-mode=RBAC',
      '--allow-privileged=true',
      '--profiling=false',
      '--v=1',
    ],
  });
  const tls = { ca: servingCa.certificatePem, cert: admin.certificatePem, key: admin.privateKeyPem };
  try {
    await apiserver.waitUntilReady(
      async () => (await httpsGet(`${server}/readyz`, tls)).status === 200,
      90_000,
    );
  } catch (error) {
    await apiserver.stop();
    await etcd.stop();
    throw error;
  }

  const kubectl = async (args: string[], options: { input?: string; kubeconfig?: string } = {}) => {
    const child = run(binaries.kubectl, ['--kubeconfig', options.kubeconfig ?? adminKubeconfig, ...args], {
      maxBuffer: 64 * 1024 * 1024,
    });
    child.child.stdin?.end(options.input);
    return (await child).stdout;
  };

  await kubectl(['apply', '-f', '-'], { input: PUBLIC_ISSUER_DISCOVERY });

  return {
    info: {
      server,
      serviceAccountIssuer: server,
      serviceAccountKeyFile: saKeyFile,
      adminKubeconfig,
      kubectl: binaries.kubectl,
      etcdUrl,
      caCertificateFile,
      clientCaCertificateFile,
      clientCaKeyFile,
      version,
    },
    kubectl,
    async stop() {
      await apiserver.stop();
      await etcd.stop();
    },
  };
}
