import { describe, expect, it } from 'vitest';
import type { InjectionGrants } from './grants.js';
import { injectPod } from './inject-pod.js';
import { injectionConfigSchema } from './injection-config.js';
import { escapePointerToken, pointer } from './json-pointer.js';
import type { Pod } from './pod.js';
import { applyJsonPatch } from './testing/apply-json-patch.js';

const config = injectionConfigSchema.parse({ sidecarImage: 's:1', controlPlaneUrl: 'https://cp:8443' });
const transparent = injectionConfigSchema.parse({ ...config, mode: 'transparent', redirectImage: 'r:1' });
const grants: InjectionGrants = {
  connections: {
    db: { type: 'postgres', address: '10.0.0.5', port: 5432 },
    db2: { type: 'postgres', address: '10.0.0.5', port: 5432 },
    kube: { type: 'kubernetes', address: '10.96.0.1', port: 443 },
    box: { type: 'ssh', address: '10.0.0.7', port: 22 },
  },
  grantedTo: () => true,
};
const pod = (connections: string, spec: Partial<Pod['spec']> = {}, metadata: Pod['metadata'] = {}): Pod => ({
  metadata: {
    name: 'p',
    ...metadata,
    annotations: { ...metadata.annotations, 'crewgate.dev/connections': connections },
  },
  spec: { containers: [{ name: 'agent' }], ...spec },
});

describe('injectPod refusals', () => {
  it.each([
    [
      'a volume named like the injector’s',
      pod('db', { volumes: [{ name: 'crewgate-spool' }] }),
      config,
      /already has a volume named crewgate-spool/,
    ],
    [
      'a container named crewgate-redirect',
      pod('db', { initContainers: [{ name: 'crewgate-redirect' }] }),
      config,
      /container named crewgate-redirect/,
    ],
    [
      'an app mount at /var/run/crewgate/client when a kubeconfig is needed',
      pod('kube', {
        containers: [
          { name: 'agent', volumeMounts: [{ name: 'x', mountPath: '/var/run/crewgate/client/' }] },
        ],
      }),
      config,
      /container agent already mounts something at \/var\/run\/crewgate\/client/,
    ],
    [
      'two connections to one target in transparent mode',
      pod('db,db2'),
      transparent,
      /"db" and "db2" both target 10\.0\.0\.5:5432/,
    ],
  ])('%s', (_name, p, c, message) => {
    const r = injectPod(p, c, grants);
    expect(r).toMatchObject({ refused: expect.stringMatching(message) });
    expect('refused' in r && r.refused).toMatch(/^crewgate refuses pod p: /);
  });

  it('refuses an app mount at /var/run/crewgate/client when an ssh config is needed', () => {
    const r = injectPod(
      pod('box', {
        containers: [{ name: 'agent', volumeMounts: [{ name: 'x', mountPath: '/var/run/crewgate/client' }] }],
      }),
      config,
      grants,
    );
    expect(r).toMatchObject({
      refused: expect.stringMatching(/already mounts something at \/var\/run\/crewgate\/client/),
    });
  });

  it('tells the agent where the ssh config is and mounts it read-only, next to the kubeconfig', () => {
    const r = injectPod(pod('kube,box'), config, grants);
    if (!('patch' in r)) throw new Error(r.refused);
    const out = applyJsonPatch(pod('kube,box'), r.patch);
    const agent = out.spec.containers[0]!;
    expect(agent.env).toEqual([
      { name: 'KUBECONFIG', value: '/var/run/crewgate/client/kubeconfig' },
      { name: 'CREWGATE_SSH_CONFIG', value: '/var/run/crewgate/client/ssh_config' },
    ]);
    expect(agent.volumeMounts).toEqual([
      { name: 'crewgate-client-config', mountPath: '/var/run/crewgate/client', readOnly: true },
    ]);
    expect(out.spec.volumes!.filter((v) => v.name === 'crewgate-client-config')).toHaveLength(1);
  });

  it('gives a transparent-mode pod with an ssh connection no ssh config (its ssh is redirected)', () => {
    const r = injectPod(pod('box'), transparent, grants);
    if (!('patch' in r)) throw new Error(r.refused);
    const out = applyJsonPatch(pod('box'), r.patch);
    expect(out.spec.containers[0]!.env).toBeUndefined();
    expect(out.spec.volumes!.map((v) => v.name)).not.toContain('crewgate-client-config');
  });

  it('does not need /var/run/crewgate/client free without a kubernetes or ssh connection', () => {
    const r = injectPod(
      pod('db', {
        containers: [{ name: 'agent', volumeMounts: [{ name: 'x', mountPath: '/var/run/crewgate/client' }] }],
      }),
      config,
      grants,
    );
    expect('patch' in r).toBe(true);
  });
});

describe('injectPod patch shape', () => {
  it('escapes annotation keys in pointers and uses replace for members that exist', () => {
    const p = pod(
      'db',
      { automountServiceAccountToken: true },
      { annotations: { 'crewgate.dev/status': 'pending' } },
    );
    const r = injectPod(p, config, grants);
    if (!('patch' in r)) throw new Error(r.refused);
    expect(r.patch).toContainEqual({
      op: 'replace',
      path: '/metadata/annotations/crewgate.dev~1status',
      value: 'injected',
    });
    expect(r.patch).toContainEqual({
      op: 'add',
      path: '/metadata/annotations/crewgate.dev~1sidecar-config',
      value: expect.any(String),
    });
    expect(r.patch).toContainEqual({
      op: 'replace',
      path: '/spec/automountServiceAccountToken',
      value: false,
    });
  });

  it('creates metadata.annotations and the lists it appends to when absent', () => {
    const p: Pod = { metadata: { name: 'p' }, spec: { containers: [{ name: 'agent' }] } };
    const r = injectPod(
      { ...p, metadata: { name: 'p', annotations: { 'crewgate.dev/connections': 'db' } } },
      config,
      grants,
    );
    if (!('patch' in r)) throw new Error(r.refused);
    const out = applyJsonPatch(
      { ...p, metadata: { name: 'p', annotations: { 'crewgate.dev/connections': 'db' } } },
      r.patch,
    );
    expect(out.spec.volumes?.map((v) => v.name)).toEqual([
      'crewgate-config',
      'crewgate-token',
      'crewgate-spool',
    ]);
    expect(out.spec.initContainers?.map((c) => c.name)).toEqual(['crewgate-sidecar']);
    expect(out.spec.containers[0]!.env).toEqual([
      { name: 'PGHOST', value: '127.0.0.1' },
      { name: 'PGPORT', value: '15432' },
      // Not a secret: the marker that makes libpq clients the pod's workload identity.
      { name: 'PGPASSWORD', value: 'crewgate:workload-identity' },
      { name: 'DATABASE_URL', value: expect.stringMatching(/^postgresql:\/\/127\.0\.0\.1:15432\/[^@]*$/) },
    ]);
  });

  it('returns an empty patch for an injected pod', () => {
    expect(injectPod(pod('db', { initContainers: [{ name: 'crewgate-sidecar' }] }), config, grants)).toEqual({
      patch: [],
    });
  });
});

describe('json pointers', () => {
  it.each([
    ['crewgate.dev/status', 'crewgate.dev~1status'],
    ['a~b', 'a~0b'],
    ['~/', '~0~1'],
    [3, '3'],
  ])('escapes %s', (token, escaped) => {
    expect(escapePointerToken(token)).toBe(escaped);
  });
  it('joins tokens', () => {
    expect(pointer('metadata', 'annotations', 'crewgate.dev/x')).toBe(
      '/metadata/annotations/crewgate.dev~1x',
    );
  });
});

describe('injectionConfigSchema', () => {
  it('applies defaults', () => {
    expect(config).toMatchObject({
      mode: 'env',
      runAsUser: 65532,
      tokenExpirationSeconds: 600,
      metricsPort: 15090,
    });
  });
  it.each([
    [{ runAsUser: 0 }, 'runAsUser'],
    [{ tokenExpirationSeconds: 60 }, 'tokenExpirationSeconds'],
    [{ controlPlaneUrl: 'ftp://cp' }, 'controlPlaneUrl'],
    [{ mode: 'transparent' }, 'redirectImage'],
  ])('refuses %j', (override, path) => {
    const r = injectionConfigSchema.safeParse({
      sidecarImage: 's:1',
      controlPlaneUrl: 'https://cp:8443',
      ...override,
    });
    expect(r.success).toBe(false);
    expect(r.error?.issues.map((i) => i.path.join('.'))).toContain(path);
  });
});
