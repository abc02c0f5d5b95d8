/**
 * Properties of injection over generated pods (fast-check): whatever the pod looked like —
 * kube-api-access volumes, hand-written token projections, tokens mounted by path, env variables
 * that clash with the injected ones (even duplicated), missing lists — the patch applies cleanly
 * with a strict RFC 6902 applier, and afterwards:
 * - no container or init container but `crewgate-sidecar` mounts a service-account token;
 * - `automountServiceAccountToken` is false and no `kube-api-access-*` volume is left;
 * - env names are unique in every container, and mount paths too;
 * - the sidecar is the first init container (after `crewgate-redirect` in transparent mode);
 * - injecting the injected pod again changes nothing.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { REDIRECT_CONTAINER, SIDECAR_CONTAINER } from './constants.js';
import type { InjectionGrants } from './grants.js';
import { injectPod } from './inject-pod.js';
import { injectionConfigSchema } from './injection-config.js';
import type { Container, ContainerPort, EnvVar, Pod, Volume, VolumeMount } from './pod.js';
import { applyJsonPatch } from './testing/apply-json-patch.js';
import {
  expectClientConfigReadOnly,
  expectTokenIsolated,
  expectUniqueEnv,
} from './testing/pod-invariants.js';

const TOKEN_PATH = '/var/run/secrets/kubernetes.io/serviceaccount';
const OURS = [
  'PGHOST',
  'PGPORT',
  'PGPASSWORD',
  'DATABASE_URL',
  'KUBECONFIG',
  'HTTP_PROXY',
  'http_proxy',
  'NO_PROXY',
  'no_proxy',
];
const ENV_NAMES = [...OURS, 'FOO', 'BAR', 'PG_DSN'];

const VOLUMES: Volume[] = [
  {
    name: 'kube-api-access-x7k2p',
    projected: {
      defaultMode: 420,
      sources: [
        { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
        { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
        {
          downwardAPI: {
            items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }],
          },
        },
      ],
    },
  },
  { name: 'data', emptyDir: {} },
  { name: 'vault', projected: { sources: [{ serviceAccountToken: { audience: 'vault', path: 'token' } }] } },
  { name: 'sneaky', projected: { sources: [{ serviceAccountToken: { audience: 'crewgate', path: 't' } }] } },
  { name: 'legacy-token', secret: { secretName: 'sa-token-abc' } },
];

const MOUNTS: VolumeMount[] = [
  { name: 'kube-api-access-x7k2p', mountPath: TOKEN_PATH, readOnly: true },
  { name: 'kube-api-access-x7k2p', mountPath: '/elsewhere' },
  { name: 'data', mountPath: '/data' },
  { name: 'vault', mountPath: '/var/run/secrets/vault' },
  { name: 'sneaky', mountPath: '/tmp/t' },
  { name: 'legacy-token', mountPath: `${TOKEN_PATH}/`, readOnly: true },
  { name: 'data', mountPath: `${TOKEN_PATH}/token`, subPath: 'token' },
];

/**
 * App containers may come with the injected names duplicated (invalid, but the injector replaces
 * those names and must repair it); init containers, whose env the injector leaves alone, are valid.
 */
const envArb = (app: boolean): fc.Arbitrary<EnvVar[] | undefined> =>
  fc.option(
    fc
      .array(
        fc.record({
          name: fc.constantFrom(...ENV_NAMES),
          value: fc.constantFrom('x', 'postgresql://u:pw@db/x', '$(PGHOST)'),
        }),
        { maxLength: 8 },
      )
      .map((env) =>
        env.filter((e, i) => (app && OURS.includes(e.name)) || env.findIndex((o) => o.name === e.name) === i),
      ),
    { nil: undefined },
  );

// Mount paths are unique in a valid container; two of the generated ones normalise to TOKEN_PATH.
const mountsArb: fc.Arbitrary<VolumeMount[] | undefined> = fc.option(
  fc.uniqueArray(fc.constantFrom(...MOUNTS), {
    selector: (m) => m.mountPath.replace(/\/+$/, ''),
    maxLength: 5,
  }),
  { nil: undefined },
);

const containerArb = (name: string): fc.Arbitrary<Container> =>
  fc
    .record({
      env: envArb(name.startsWith('app-')),
      volumeMounts: mountsArb,
      ports: fc.option(fc.constant<ContainerPort[]>([{ containerPort: 15432 }]), { nil: undefined }),
    })
    .map((c) => {
      const out: Container = { name, image: 'example/app:1' };
      if (c.env !== undefined) out.env = c.env;
      if (c.volumeMounts !== undefined) out.volumeMounts = c.volumeMounts;
      if (c.ports !== undefined) out.ports = c.ports;
      return out;
    });

const CONNECTIONS = ['pg1', 'pg2', 'kube', 'web', 'bastion'];
const grants: InjectionGrants = {
  connections: {
    pg1: { type: 'postgres', address: '10.0.0.1', port: 5432, database: 'app' },
    pg2: { type: 'postgres', address: '10.0.0.2', port: 5432 },
    kube: { type: 'kubernetes', address: '10.96.0.1', port: 443 },
    web: { type: 'http', address: 'fd00::80', port: 80 },
    bastion: { type: 'ssh', address: '10.0.0.22', port: 22 },
  },
  grantedTo: () => true,
};

const podArb: fc.Arbitrary<Pod> = fc
  .record({
    containers: fc
      .integer({ min: 1, max: 3 })
      .chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => containerArb(`app-${i}`)))),
    initContainers: fc.option(
      fc
        .integer({ min: 0, max: 2 })
        .chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => containerArb(`init-${i}`)))),
      { nil: undefined },
    ),
    volumes: fc.option(fc.subarray(VOLUMES), { nil: undefined }),
    automount: fc.option(fc.boolean(), { nil: undefined }),
    serviceAccountName: fc.option(fc.constantFrom('crew', 'default'), { nil: undefined }),
    connections: fc.subarray(CONNECTIONS, { minLength: 1 }),
    otherAnnotations: fc.boolean(),
  })
  .map((g) => {
    const spec: Pod['spec'] = { containers: g.containers };
    if (g.initContainers !== undefined) spec.initContainers = g.initContainers;
    // Every mounted volume must exist; add the missing ones.
    const used = new Set(
      [...g.containers, ...(g.initContainers ?? [])].flatMap((c) =>
        (c.volumeMounts ?? []).map((m) => m.name),
      ),
    );
    const volumes = [
      ...(g.volumes ?? []),
      ...VOLUMES.filter((v) => used.has(v.name) && !(g.volumes ?? []).includes(v)),
    ];
    if (g.volumes !== undefined || volumes.length > 0) spec.volumes = volumes;
    if (g.automount !== undefined) spec.automountServiceAccountToken = g.automount;
    if (g.serviceAccountName !== undefined) spec.serviceAccountName = g.serviceAccountName;
    const annotations: Record<string, string> = { 'crewgate.dev/connections': g.connections.join(',') };
    if (g.otherAnnotations) annotations['example.com/a~b/c'] = 'x';
    return { metadata: { name: 'p', annotations }, spec };
  });

const configArb = fc.constantFrom(
  injectionConfigSchema.parse({ sidecarImage: 's:1', controlPlaneUrl: 'https://cp:8443' }),
  injectionConfigSchema.parse({
    sidecarImage: 's:1',
    redirectImage: 'r:1',
    mode: 'transparent',
    controlPlaneUrl: 'https://cp:8443',
    runAsUser: 1337,
  }),
);

/** The env names the injector sets for a pod (env mode), which it must de-duplicate. */
function injectedNames(pod: Pod, mode: 'env' | 'transparent'): string[] {
  if (mode !== 'env') return [];
  const wanted = pod.metadata?.annotations?.['crewgate.dev/connections'] ?? '';
  return [
    ...(/pg/.test(wanted) ? ['PGHOST', 'PGPORT', 'PGPASSWORD', 'DATABASE_URL'] : []),
    ...(/kube/.test(wanted) ? ['KUBECONFIG'] : []),
    ...(/web/.test(wanted) ? ['HTTP_PROXY', 'http_proxy', 'NO_PROXY', 'no_proxy'] : []),
    ...(/bastion/.test(wanted) ? ['CREWGATE_SSH_CONFIG'] : []),
  ];
}

/** Keeps duplicates only of the names the injector will replace: any other duplicate is the pod's own fault. */
function validForInjection(pod: Pod, mode: 'env' | 'transparent'): Pod {
  const keep = injectedNames(pod, mode);
  for (const c of pod.spec.containers) {
    if (c.env !== undefined)
      c.env = c.env.filter(
        (e, i, env) => keep.includes(e.name) || env.findIndex((o) => o.name === e.name) === i,
      );
  }
  return pod;
}

describe('injectPod properties', () => {
  it('isolates the token, keeps env unique, puts the sidecar first, and is idempotent', () => {
    fc.assert(
      fc.property(podArb, configArb, (generated, config) => {
        const pod = validForInjection(generated, config.mode);
        const before = structuredClone(pod);
        const result = injectPod(pod, config, grants);
        if ('refused' in result) throw new Error(`unexpected refusal: ${result.refused}`);
        const out = applyJsonPatch(pod, result.patch);

        expectTokenIsolated(out);
        expectUniqueEnv(out);
        expectClientConfigReadOnly(out);
        const init = (out.spec.initContainers ?? []).map((c) => c.name);
        expect(init.slice(0, config.mode === 'transparent' ? 2 : 1)).toEqual(
          config.mode === 'transparent' ? [REDIRECT_CONTAINER, SIDECAR_CONTAINER] : [SIDECAR_CONTAINER],
        );
        // The sidecar mounts the crewgate token and nothing from the pod's own token volumes; in env
        // mode with a kubernetes or ssh connection also the client config volume it writes.
        const sidecar = out.spec.initContainers!.find((c) => c.name === SIDECAR_CONTAINER)!;
        const names = injectedNames(pod, config.mode);
        const writesClientConfig = names.includes('KUBECONFIG') || names.includes('CREWGATE_SSH_CONFIG');
        expect(sidecar.volumeMounts!.map((m) => m.name)).toEqual([
          'crewgate-config',
          'crewgate-token',
          'crewgate-spool',
          ...(writesClientConfig ? ['crewgate-client-config'] : []),
        ]);
        // Every mount refers to a volume that exists.
        const volumes = new Set((out.spec.volumes ?? []).map((v) => v.name));
        for (const c of [...out.spec.containers, ...out.spec.initContainers!])
          for (const m of c.volumeMounts ?? [])
            expect(volumes.has(m.name), `${c.name} mounts missing ${m.name}`).toBe(true);
        // No env value carries a credential (the generated DATABASE_URL with a password is replaced).
        if (config.mode === 'env' && pod.metadata!.annotations!['crewgate.dev/connections']!.includes('pg')) {
          for (const c of out.spec.containers)
            expect(c.env?.find((e) => e.name === 'DATABASE_URL')?.value).not.toContain('@');
        }
        expect(injectPod(out, config, grants)).toEqual({ patch: [] });
        expect(pod, 'injectPod must not modify its input').toEqual(before);
      }),
      { numRuns: 300 },
    );
  });
});
