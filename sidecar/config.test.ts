import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { connectionType } from '../crds/schemas/connection.js';
import { adapterFor, supportedTypes } from './adapters/registry.js';
import { ConfigError, parseSidecarConfig, type StandaloneConfig } from './config.js';

const dir = mkdtempSync(join(tmpdir(), 'crewgate-config-'));
const base = {
  identity: { issuers: [] },
  policies: { files: ['policies.yaml'] },
  recording: { file: 'sessions.jsonl' },
};
const standalone = (connections: unknown[]) =>
  parseSidecarConfig({ ...base, connections }, 'test.yaml') as StandaloneConfig;

describe('the standalone sidecar config', () => {
  it('converts the older postgres form to the generic entry, file references and all', () => {
    writeFileSync(join(dir, 'cert.pem'), 'CERT');
    writeFileSync(join(dir, 'key.pem'), 'KEY');
    const config = standalone([
      {
        name: 'shop-db',
        type: 'postgres',
        listen: { port: 0 },
        upstream: {
          host: 'db.local',
          port: 5433,
          database: 'shop',
          tls: { caFile: '/ca.crt', serverName: 'db' },
        },
        credentials: { username: 'app', passwordFile: '/pw' },
        clientTls: { certFile: join(dir, 'cert.pem'), keyFile: join(dir, 'key.pem'), require: true },
        maxMessageBytes: 1024,
      },
    ]);
    expect(config.kind).toBe('Standalone');
    expect(config.connections).toEqual([
      {
        name: 'shop-db',
        type: 'postgres',
        listen: { host: '127.0.0.1', port: 0 },
        target: {
          type: 'postgres',
          address: 'db.local:5433',
          database: 'shop',
          tls: { mode: 'verify-full', serverName: 'db' },
        },
        credentials: { username: { value: 'app' }, password: { file: '/pw' } },
        caFile: '/ca.crt',
        options: {
          clientTls: { certificatePem: 'CERT', privateKeyPem: 'KEY' },
          requireTls: true,
          maxMessageBytes: 1024,
        },
      },
    ]);
  });

  it('refuses an unknown connection type, naming what this build supports', () => {
    expect(() =>
      standalone([
        { name: 'x', type: 'mysql', listen: { port: 0 }, target: { address: 'a:1' }, credentials: {} },
      ]),
    ).toThrow(
      `connections.0.type: unknown connection type "mysql" (this sidecar supports ${supportedTypes().join(', ')}`,
    );
  });

  it('validates options with the adapter’s own schema', () => {
    expect(() =>
      standalone([
        {
          name: 'x',
          type: 'postgres',
          listen: { port: 0 },
          target: { address: 'a:1', database: 'd' },
          credentials: {},
          options: { requireTls: 'yes' },
        },
      ]),
    ).toThrow(ConfigError);
  });

  it('refuses a caRef (a standalone sidecar reads no Secrets) and duplicate names', () => {
    const entry = {
      name: 'x',
      type: 'postgres',
      listen: { port: 0 },
      target: { address: 'a:1', database: 'd', tls: { caRef: { name: 's', key: 'ca.crt' } } },
      credentials: {},
    };
    expect(() => standalone([entry])).toThrow(/caRef: a standalone sidecar reads no Secrets/);
    const plain = { ...entry, target: { address: 'a:1', database: 'd' } };
    expect(() => standalone([plain, plain])).toThrow(/connection x listed twice/);
  });
});

describe('the in-pod sidecar config', () => {
  const inPod = {
    apiVersion: 'crewgate.dev/v1alpha1',
    kind: 'InPodSidecarConfig',
    mode: 'env',
    connections: [{ name: 'shop-db', type: 'postgres', listen: { port: 15432 } }],
    controlPlane: { url: 'https://crewgate-operator.crewgate-system.svc:8443', tokenFile: '/t' },
    recording: { spoolDir: '/spool' },
    metrics: { port: 15090 },
  };
  it('is told apart by its kind and parsed with the injector’s schema', () => {
    const config = parseSidecarConfig(inPod, 'pod.yaml');
    expect(config.kind).toBe('InPodSidecarConfig');
  });
  it('accepts every Connection type this build has an adapter for and refuses the others by name', () => {
    for (const type of connectionType.options) {
      const parse = () =>
        parseSidecarConfig(
          { ...inPod, connections: [{ name: 'c', type, listen: { port: 2222 } }] },
          'pod.yaml',
        );
      if (adapterFor(type)) expect(parse()).toMatchObject({ connections: [{ type }] });
      else expect(parse).toThrow(`unknown connection type "${type}"`);
    }
  });
});
