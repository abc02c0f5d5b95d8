// The in-pod sidecar's Kubernetes listener over TLS, as an injected pod runs it (issue 8 item 1):
// the sidecar makes its loopback certificate at start and writes the kubeconfig with that CA into
// the kubeconfig volume; the real kubectl, reading that very file, verifies the certificate, so it
// sends the agent's OIDC token (`--token`), which it never does to an http:// server. Without a
// token, the pod's workload identity is the caller. The policies differ for the two, so kubectl's
// own answer says who the sidecar thought was calling; the recording store says so too.
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { CLIENT_CONFIG_DIR, KUBECONFIG_FILE } from '../../operator/injection/constants.js';
import { oidcToken } from '../harness/oidc-token.js';
import { kubectl, runCommand } from '../harness/run.js';
import { startInPodOperator, type InPodOperator } from './support/in-pod-operator.js';
import type { InPodSidecar } from './support/in-pod-sidecar.js';
import { createProxyAccount, type ProxyAccount } from './support/kubernetes-proxy.js';

const harness = inject('harness');
const id = `${Date.now()}`;
const ns = `agents-kubetls-${id}`;
let operator: InPodOperator;
let account: ProxyAccount;
let sidecar: InPodSidecar;
let analyst: string;
let kubeconfigPath: string;
const cacheDir = mkdtempSync(join(tmpdir(), 'crewgate-kubectl-cache-'));

const apply = (manifest: string) => kubectl(harness, ['apply', '-f', '-'], { input: manifest });

/** The agent container's kubectl: the kubeconfig the sidecar wrote, `--token` when given. */
const agentKubectl = (token: string | undefined, args: string[], kubeconfig = kubeconfigPath) =>
  runCommand(harness.controlPlane.kubectl, [
    '--kubeconfig',
    kubeconfig,
    '--cache-dir',
    cacheDir,
    ...(token ? ['--token', token] : []),
    '-n',
    account.namespace,
    ...args,
  ]);

interface StoredEvent {
  session: string;
  type: string;
  payload: {
    identity?: { subject?: string; groups?: string[] };
    protocol?: string;
    decision?: { action: string; policy?: string; reason?: string };
    commands?: { text: string }[];
  };
}
/** The first `command` event of a kubernetes session of `subject` whose request line matches `text`, once shipped. */
async function recordedCommand(subject: string, text: RegExp): Promise<StoredEvent> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const events = await operator.storedEvents<StoredEvent>();
    const sessions = new Set(
      events
        .filter(
          (e) =>
            e.type === 'session.start' &&
            e.payload.protocol === 'kubernetes' &&
            e.payload.identity?.subject === subject,
        )
        .map((e) => e.session),
    );
    const found = events.find(
      (e) =>
        e.type === 'command' && sessions.has(e.session) && text.test(e.payload.commands?.[0]?.text ?? ''),
    );
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`no recorded command ${text} of ${subject}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

beforeAll(async () => {
  operator = await startInPodOperator(harness, id, 'kubetls-store');
  // The cluster the Connection reaches, with the sidecar's own service account in it.
  account = await createProxyAccount(harness, `${ns}-target`);
  await operator.createInjectedNamespace(ns, 'research-crew');
  for (const args of [
    ['cluster-credentials', `--from-literal=token=${account.token}`],
    ['cluster-ca', `--from-file=ca.crt=${harness.controlPlane.caCertificateFile}`],
  ]) {
    const created = await kubectl(harness, ['create', 'secret', 'generic', '-n', ns, ...args]);
    expect(created.stderr).toBe('');
  }
  // Only the OIDC group may list pods; the pod's own service account may read nothing but discovery.
  const setup = await apply(`apiVersion: crewgate.dev/v1alpha1
kind: Connection
metadata: { name: cluster, namespace: ${ns} }
spec:
  type: kubernetes
  address: '${harness.controlPlane.server}'
  tls: { mode: verify-full, caRef: { name: cluster-ca, key: ca.crt } }
  credentialsRef: { name: cluster-credentials }
---
apiVersion: crewgate.dev/v1alpha1
kind: AccessPolicy
metadata: { name: viewers, namespace: ${ns} }
spec:
  subjects: [{ group: crewai-viewer }]
  connections: [cluster]
  rules:
    - name: reads
      match: { operations: [get, list, watch] }
      action: Allow
  defaultAction: Deny
---
apiVersion: crewgate.dev/v1alpha1
kind: AccessPolicy
metadata: { name: crew-pod, namespace: ${ns} }
spec:
  subjects: [{ serviceAccount: { name: research-crew } }]
  connections: [cluster]
  rules:
    - name: no-pods-for-the-workload
      match: { resources: [pods] }
      action: Deny
    - name: discovery
      match: { operations: [get, list, watch] }
      action: Allow
  defaultAction: Deny
---
apiVersion: v1
kind: Pod
metadata:
  name: crew-0
  namespace: ${ns}
  annotations: { crewgate.dev/connections: cluster }
spec:
  serviceAccountName: research-crew
  containers: [{ name: agent, image: python:3.12 }]
---
apiVersion: v1
kind: Pod
metadata: { name: web, namespace: ${account.namespace}, labels: { crewgate.dev/inject: disabled } }
spec: { containers: [{ name: web, image: nginx }] }
`);
  expect(setup.stderr).toBe('');
  analyst = await oidcToken(harness.oidc, 'agent-analyst');
  sidecar = await operator.startSidecar(ns, 'crew-0');
  kubeconfigPath = join(sidecar.root, CLIENT_CONFIG_DIR, KUBECONFIG_FILE);
}, 120_000);

afterAll(() => operator?.stop());

describe('the injected pod’s kubeconfig and TLS listener', () => {
  it('is written by the sidecar before it is ready: https on loopback, its own CA, no credential, no skip-verify', () => {
    const text = readFileSync(kubeconfigPath, 'utf8');
    const doc = parse(text) as {
      clusters: { cluster: { server: string; 'certificate-authority-data': string } }[];
      users: { name: string; user: Record<string, string> }[];
    };
    expect(doc.clusters).toHaveLength(1);
    expect(doc.clusters[0]!.cluster.server).toBe(`https://127.0.0.1:${sidecar.ports.cluster}`);
    const ca = Buffer.from(doc.clusters[0]!.cluster['certificate-authority-data'], 'base64').toString();
    expect(ca).toMatch(/^-----BEGIN CERTIFICATE-----/);
    expect(ca).not.toBe(readFileSync(harness.controlPlane.caCertificateFile, 'utf8'));
    // The user holds only the placeholder client certificate (never sent: the listener asks for none).
    expect(doc.users.map((u) => [u.name, Object.keys(u.user).sort()])).toEqual([
      ['crewgate', ['client-certificate-data', 'client-key-data']],
    ]);
    const placeholder = new X509Certificate(
      Buffer.from(doc.users[0]!.user['client-certificate-data']!, 'base64').toString(),
    );
    expect(placeholder.subject).toBe('CN=crewgate-no-credential');
    expect(text).not.toMatch(/insecure-skip-tls-verify|token|password|username/);
    expect(statSync(kubeconfigPath).mode & 0o777).toBe(0o644);
    // The private key is nowhere in the pod's volumes, nor in what the sidecar printed.
    expect(sidecar.output()).not.toContain('PRIVATE KEY');
  });

  it('kubectl --token reaches the sidecar as the agent’s OIDC identity, allowed by the group’s policy', async () => {
    const pods = await agentKubectl(analyst, ['get', 'pods', '-o', 'name']);
    expect(pods.stderr).toBe('');
    expect(pods.code).toBe(0);
    expect(pods.stdout.trim()).toBe('pod/web');
    const recorded = await recordedCommand('agent-analyst', /^GET \/api\/v1\/namespaces\/[^/]+\/pods/);
    expect(recorded.payload.decision).toMatchObject({ action: 'Allow', policy: `${ns}/viewers` });
  });

  it('a tokenFile in the agent’s own copy of the kubeconfig is the OIDC identity too', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'crewgate-agent-kubeconfig-'));
    writeFileSync(join(dir, 'token'), analyst, { mode: 0o600 });
    const doc = parse(readFileSync(kubeconfigPath, 'utf8')) as {
      users: { user: Record<string, string> }[];
    };
    doc.users[0]!.user.tokenFile = join(dir, 'token');
    const own = join(dir, 'kubeconfig');
    writeFileSync(own, stringify(doc));
    const pods = await agentKubectl(undefined, ['get', 'pods', '-o', 'name'], own);
    expect(pods.stderr).toBe('');
    expect(pods.stdout.trim()).toBe('pod/web');
  });

  it('kubectl without a token is the pod’s workload identity, denied by its own policy', async () => {
    // stdin is empty and closed, as for a tool running kubectl: nothing may be prompted for.
    const pods = await agentKubectl(undefined, ['get', 'pods']);
    expect(pods.code).not.toBe(0);
    expect(pods.stderr).toMatch(/Error from server \(Forbidden\): crewgate: .*no-pods-for-the-workload/);
    expect(pods.stderr).toContain(`AccessPolicy ${ns}/crew-pod`);
    const recorded = await recordedCommand(
      `system:serviceaccount:${ns}:research-crew`,
      /^GET \/api\/v1\/namespaces\/[^/]+\/pods/,
    );
    expect(recorded.payload.decision).toMatchObject({ action: 'Deny', policy: `${ns}/crew-pod` });
  });

  it('is verified: a kubeconfig trusting another CA gets an x509 error and sends nothing', async () => {
    const other = join(mkdtempSync(join(tmpdir(), 'crewgate-other-ca-')), 'kubeconfig');
    const ca = readFileSync(harness.controlPlane.caCertificateFile);
    writeFileSync(
      other,
      readFileSync(kubeconfigPath, 'utf8').replace(
        /certificate-authority-data: .*/,
        `certificate-authority-data: ${ca.toString('base64')}`,
      ),
    );
    const pods = await agentKubectl(analyst, ['get', 'pods'], other);
    expect(pods.code).not.toBe(0);
    expect(pods.stderr).toMatch(/x509: certificate signed by unknown authority/);
  });
});
