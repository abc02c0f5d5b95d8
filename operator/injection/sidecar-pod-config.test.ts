import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { injectionConfigSchema } from './injection-config.js';
import { renderKubeconfig } from './kubeconfig.js';
import type { Listener } from './listen-ports.js';
import {
  buildSidecarPodConfig,
  renderSidecarPodConfig,
  sidecarPodConfigSchema,
} from './sidecar-pod-config.js';

const listeners: Listener[] = [
  { name: 'db', type: 'postgres', address: '10.0.0.5', port: 5432, listenPort: 15432 },
  { name: 'cluster-a', type: 'kubernetes', address: '10.96.0.1', port: 443, listenPort: 16443 },
  { name: 'cluster-b', type: 'kubernetes', address: '10.96.0.2', port: 443, listenPort: 16444 },
];

describe('in-pod sidecar config', () => {
  it('round-trips through its YAML and the schema, and carries no target or secret', () => {
    const config = injectionConfigSchema.parse({
      sidecarImage: 's:1',
      controlPlaneUrl: 'https://crewgate.crewgate-system.svc:8443',
      controlPlaneCaBundle: 'PEM',
    });
    const text = renderSidecarPodConfig(buildSidecarPodConfig(listeners, config));
    const parsed = sidecarPodConfigSchema.parse(parse(text));
    expect(parsed.connections.map((c) => [c.name, c.type, c.listen.port])).toEqual([
      ['db', 'postgres', 15432],
      ['cluster-a', 'kubernetes', 16443],
      ['cluster-b', 'kubernetes', 16444],
    ]);
    expect(parsed.controlPlane).toEqual({
      url: 'https://crewgate.crewgate-system.svc:8443',
      tokenFile: '/var/run/secrets/crewgate/token',
      caFile: '/etc/crewgate/ca.crt',
    });
    expect(text).not.toContain('10.0.0.5');
    // env mode with a kubernetes connection: the sidecar writes the kubeconfig into its volume.
    expect(parsed.kubeconfig).toEqual({ file: '/var/run/crewgate/client/kubeconfig' });
  });

  it('names no kubeconfig in transparent mode or without a kubernetes connection', () => {
    const env = injectionConfigSchema.parse({ sidecarImage: 's:1', controlPlaneUrl: 'https://cp:8443' });
    const transparent = injectionConfigSchema.parse({
      sidecarImage: 's:1',
      controlPlaneUrl: 'https://cp:8443',
      mode: 'transparent',
      redirectImage: 'r:1',
    });
    expect(buildSidecarPodConfig(listeners, transparent).kubeconfig).toBeUndefined();
    expect(buildSidecarPodConfig(listeners.slice(0, 1), env).kubeconfig).toBeUndefined();
  });

  it('refuses unknown fields (a standalone config is a different shape)', () => {
    expect(sidecarPodConfigSchema.safeParse({ policies: { files: ['x'] } }).success).toBe(false);
  });
});

describe('renderKubeconfig', () => {
  it('has one cluster and context per kubernetes connection, the first current, no credentials', () => {
    const doc = parse(renderKubeconfig(listeners) ?? '') as Record<string, unknown>;
    expect(doc['current-context']).toBe('cluster-a');
    expect(doc.clusters).toEqual([
      { name: 'cluster-a', cluster: { server: 'http://127.0.0.1:16443' } },
      { name: 'cluster-b', cluster: { server: 'http://127.0.0.1:16444' } },
    ]);
    expect(doc.users).toEqual([{ name: 'crewgate', user: {} }]);
  });

  it('is absent without a kubernetes connection', () => {
    expect(renderKubeconfig(listeners.slice(0, 1))).toBeUndefined();
  });
});
