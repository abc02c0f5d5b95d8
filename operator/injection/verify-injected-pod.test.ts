import { describe, expect, it } from 'vitest';
import { injectPod } from './inject-pod.js';
import { injectionConfigSchema } from './injection-config.js';
import type { Container, NamespaceInfo, Pod } from './pod.js';
import { applyJsonPatch } from './testing/apply-json-patch.js';
import { grantsFromTable } from './testing/golden-case.js';
import { verifyInjectedPod } from './verify-injected-pod.js';

const config = injectionConfigSchema.parse({
  sidecarImage: 'ghcr.io/crewgate/sidecar:0.1.0',
  controlPlaneUrl: 'https://crewgate.crewgate-system.svc:8443',
  controlPlaneCaBundle: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n',
});
const namespace: NamespaceInfo = { name: 'agents', labels: { 'crewgate.dev/inject': 'enabled' } };
const grants = grantsFromTable({
  connections: {
    'reporting-db': { type: 'postgres', address: '10.0.0.5', port: 5432, database: 'reporting' },
    'billing-db': { type: 'postgres', address: '10.0.0.6', port: 5432, database: 'billing' },
    'prod-cluster': { type: 'kubernetes', address: '10.0.0.1', port: 6443 },
  },
  granted: { 'reporting-db': ['research-crew'], 'prod-cluster': ['research-crew'] },
});

/** What the injector makes of a plain pod: the starting point every case mutates. */
function injected(): Pod {
  const pod: Pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: 'crew-0',
      namespace: 'agents',
      annotations: { 'crewgate.dev/connections': 'reporting-db,prod-cluster' },
    },
    spec: {
      serviceAccountName: 'research-crew',
      containers: [{ name: 'agent', image: 'python:3.12', ports: [{ containerPort: 15432 }] }],
    },
  };
  const result = injectPod(pod, config, grants);
  if ('refused' in result) throw new Error(result.refused);
  return applyJsonPatch(pod, result.patch);
}

// Cases reach deep into the pod's JSON; a loose type keeps them one line each.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = Record<string, any>;
const sidecar = (p: Pod): Container => p.spec.initContainers!.find((c) => c.name === 'crewgate-sidecar')!;
const agent = (p: Pod): Container => p.spec.containers[0]!;
const volume = (p: Pod, name: string) => p.spec.volumes!.find((v) => v.name === name)! as Loose;

type Case = [string, (p: Pod) => void, RegExp | undefined];
const cases: Case[] = [
  ['the injector’s own output', () => {}, undefined],
  [
    'the injector’s output as the API server stores it (defaults filled in)',
    (p) => {
      const s = sidecar(p) as Loose;
      Object.assign(s, {
        terminationMessagePath: '/dev/termination-log',
        terminationMessagePolicy: 'File',
        imagePullPolicy: 'IfNotPresent',
      });
      for (const probe of [s.startupProbe, s.readinessProbe]) {
        Object.assign(probe, { timeoutSeconds: 1, successThreshold: 1 });
        probe.httpGet.scheme = 'HTTP';
      }
      s.resources = { requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '256Mi' } };
      volume(p, 'crewgate-token').projected.defaultMode = 420;
      for (const item of volume(p, 'crewgate-config').downwardAPI.items) item.fieldRef.apiVersion = 'v1';
    },
    undefined,
  ],
  [
    'no status annotation',
    (p) => delete p.metadata!.annotations!['crewgate.dev/status'],
    /status=injected is missing/,
  ],
  ['another sidecar image', (p) => (sidecar(p).image = 'evil/sidecar:1'), /differs in image/],
  [
    'a command on the sidecar',
    (p) => (sidecar(p).command = ['sh', '-c', 'cat /var/run/secrets/crewgate/token']),
    /differs in command/,
  ],
  ['other args', (p) => (sidecar(p).args = ['--config', '/tmp/other.yaml']), /differs in args/],
  [
    'env on the sidecar',
    (p) => (sidecar(p).env = [{ name: 'NODE_OPTIONS', value: '--require /x' }]),
    /differs in env/,
  ],
  [
    'a sidecar running as root',
    (p) => ((sidecar(p).securityContext as Record<string, unknown>).runAsUser = 0),
    /differs in securityContext/,
  ],
  [
    'an extra sidecar mount',
    (p) => sidecar(p).volumeMounts!.push({ name: 'data', mountPath: '/data' }),
    /differs in volumeMounts/,
  ],
  [
    'the sidecar as an app container',
    (p) => p.spec.containers.push({ ...sidecar(p) }),
    /exactly one crewgate-sidecar/,
  ],
  ['two sidecars', (p) => p.spec.initContainers!.push({ ...sidecar(p) }), /exactly one crewgate-sidecar/],
  [
    'the agent mounts the token volume',
    (p) => (agent(p).volumeMounts = [{ name: 'crewgate-token', mountPath: '/t' }]),
    /container agent mounts crewgate-token/,
  ],
  [
    'the agent mounts the spool',
    (p) => (agent(p).volumeMounts = [{ name: 'crewgate-spool', mountPath: '/s' }]),
    /container agent mounts crewgate-spool/,
  ],
  [
    'an init container mounts the token volume',
    (p) =>
      p.spec.initContainers!.push({
        name: 'setup',
        volumeMounts: [{ name: 'crewgate-token', mountPath: '/t' }],
      }),
    /container setup mounts crewgate-token/,
  ],
  [
    'the agent mounts something at the service-account token path',
    (p) => {
      p.spec.volumes!.push({ name: 'cfg', configMap: { name: 'x' } });
      agent(p).volumeMounts = [{ name: 'cfg', mountPath: '/var/run/secrets/kubernetes.io/serviceaccount' }];
    },
    /container agent mounts cfg/,
  ],
  [
    'an ephemeral container mounts the token volume',
    (p) =>
      (p.spec.ephemeralContainers = [
        { name: 'debugger', volumeMounts: [{ name: 'crewgate-token', mountPath: '/t' }] },
      ]),
    /container debugger mounts crewgate-token/,
  ],
  [
    'an ephemeral container targets the sidecar',
    (p) => (p.spec.ephemeralContainers = [{ name: 'debugger', targetContainerName: 'crewgate-sidecar' }]),
    /ephemeral container debugger targets crewgate-sidecar/,
  ],
  [
    'another service-account token volume (kube-api-access)',
    (p) =>
      p.spec.volumes!.push({
        name: 'kube-api-access-abcde',
        projected: { sources: [{ serviceAccountToken: { path: 'token' } }] },
      }),
    /kube-api-access-abcde carries a service-account token/,
  ],
  ['automount left on', (p) => (p.spec.automountServiceAccountToken = true), /automountServiceAccountToken/],
  [
    'a token for another audience',
    (p) =>
      (volume(p, 'crewgate-token').projected.sources[0].serviceAccountToken.audience =
        'https://kubernetes.default.svc'),
    /volume crewgate-token is not the one/,
  ],
  [
    'a longer-lived token',
    (p) => (volume(p, 'crewgate-token').projected.sources[0].serviceAccountToken.expirationSeconds = 86_400),
    /volume crewgate-token is not the one/,
  ],
  [
    'the config volume replaced by a ConfigMap',
    (p) => {
      const v = volume(p, 'crewgate-config');
      delete v.downwardAPI;
      v.configMap = { name: 'attacker-config' };
    },
    /volume crewgate-config is not the one/,
  ],
  [
    'another control plane in the sidecar config',
    (p) => {
      const a = p.metadata!.annotations!;
      a['crewgate.dev/sidecar-config'] = a['crewgate.dev/sidecar-config']!.replace(
        'crewgate.crewgate-system.svc',
        'attacker.example',
      );
    },
    /annotation crewgate.dev\/sidecar-config/,
  ],
  [
    'another control-plane CA',
    (p) => (p.metadata!.annotations!['crewgate.dev/control-plane-ca'] = 'x'),
    /crewgate.dev\/control-plane-ca/,
  ],
  [
    'another client config volume (a hostPath instead of the sidecar-written emptyDir)',
    (p) => {
      const volume = p.spec.volumes!.find((v) => v.name === 'crewgate-client-config')!;
      delete volume.emptyDir;
      (volume as { hostPath?: unknown }).hostPath = { path: '/etc/kubernetes' };
    },
    /volume crewgate-client-config is not the one the injector adds/,
  ],
  [
    'a connection added to the annotation that no policy grants',
    (p) => (p.metadata!.annotations!['crewgate.dev/connections'] = 'reporting-db,prod-cluster,billing-db'),
    /no AccessPolicy grants Connection "billing-db"/,
  ],
  [
    'another service account (no grant)',
    (p) => (p.spec.serviceAccountName = 'intruder'),
    /service account "intruder"/,
  ],
  ['shareProcessNamespace', (p) => (p.spec.shareProcessNamespace = true), /shareProcessNamespace/],
  ['hostPID', (p) => (p.spec.hostPID = true), /hostPID/],
  ['hostNetwork', (p) => (p.spec.hostNetwork = true), /hostNetwork/],
  [
    'pod label opts out',
    (p) => (p.metadata!.labels = { 'crewgate.dev/inject': 'disabled' }),
    /not selected.*disabled/,
  ],
];

describe('verifyInjectedPod', () => {
  it.each(cases)('%s', (_name, mutate, refused) => {
    const pod = injected();
    mutate(pod);
    const result = verifyInjectedPod(pod, namespace, config, grants);
    if (refused === undefined)
      expect(result).toEqual({ ok: true, connections: ['reporting-db', 'prod-cluster'] });
    else {
      expect(result.ok).toBe(false);
      expect(!result.ok && result.reason).toMatch(refused);
    }
  });

  it.each<[string, NamespaceInfo, Partial<typeof config>]>([
    ['a namespace no longer labelled', { name: 'agents' }, {}],
    ['a namespace the operator excludes', namespace, { excludedNamespaces: ['agents'] }],
    ['kube-system', { name: 'kube-system', labels: namespace.labels }, {}],
  ])('refuses a pod in %s: it is not selected for injection', (_name, ns, override) => {
    const result = verifyInjectedPod(injected(), ns, { ...config, ...override }, grants);
    expect(result).toMatchObject({ ok: false, reason: expect.stringMatching(/not selected for injection/) });
  });

  it('refuses every pod once the operator runs another sidecar image (pods must be re-created)', () => {
    const result = verifyInjectedPod(
      injected(),
      namespace,
      { ...config, sidecarImage: 'ghcr.io/crewgate/sidecar:0.2.0' },
      grants,
    );
    expect(result).toMatchObject({ ok: false, reason: expect.stringMatching(/differs in image/) });
  });
});
