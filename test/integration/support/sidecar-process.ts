/**
 * The sidecar as the process a pod runs (`sidecar/main.ts --config FILE`), standalone, in front of
 * the harness's `shop` database with the fixture policies. Tests choose the recording and metrics.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { HarnessInfo } from '../../harness/index.js';
import { repositoryRoot } from '../../harness/paths.js';

/**
 * Writes a sidecar config for shop-db into `dir` and returns its path. `connections` and
 * `policyFiles` are added to shop-db's and the shop fixture's, `workload` is the identity of
 * clients without a token; the rest goes in as given.
 */
export function writeShopSidecarConfig(
  harness: HarnessInfo,
  dir: string,
  {
    connections = [],
    policyFiles = [],
    workload,
    ...extra
  }: {
    recording: unknown;
    metrics?: unknown;
    workload?: { subject: string; groups?: string[]; serviceAccount?: string };
    connections?: unknown[];
    policyFiles?: string[];
  },
): string {
  const pg = harness.postgres;
  writeFileSync(join(dir, 'app.password'), pg.app.password, { mode: 0o600 });
  const path = join(dir, 'sidecar.yaml');
  writeFileSync(
    path,
    stringify({
      identity: {
        issuers: [
          {
            issuer: harness.oidc.issuer,
            audiences: [harness.oidc.audience],
            caFile: harness.oidc.caCertificateFile,
          },
        ],
        ...(workload ? { workload } : {}),
      },
      policies: {
        files: [join(repositoryRoot, 'test/integration/fixtures/shop-policies.yaml'), ...policyFiles],
      },
      connections: [
        {
          name: 'shop-db',
          type: 'postgres',
          listen: { host: '127.0.0.1', port: 0 },
          target: {
            address: `${pg.host}:${pg.port}`,
            database: 'shop',
            tls: { mode: 'verify-full' },
          },
          caFile: pg.caCertificateFile,
          credentials: { username: { value: pg.app.user }, password: { file: join(dir, 'app.password') } },
        },
        ...connections,
      ],
      ...extra,
    }),
  );
  return path;
}

export interface SidecarProcess {
  child: ChildProcessWithoutNullStreams;
  /** shop-db's listening port. */
  port: number;
  /** Every connection's listening port, by name. */
  listeners: Record<string, number>;
  metricsPort?: number;
}

/** Starts the sidecar and resolves once it prints its ready line. */
export function startSidecarProcess(config: string): Promise<SidecarProcess> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(repositoryRoot, 'sidecar/main.ts'), '--config', config],
    {
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  );
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      const line = out.split('\n').find((l) => l.includes('"ready":true'));
      if (line) {
        const ready = JSON.parse(line) as { listeners: Record<string, number>; metricsPort?: number };
        resolve({
          child,
          port: ready.listeners['shop-db']!,
          listeners: ready.listeners,
          metricsPort: ready.metricsPort,
        });
      }
    });
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    child.once('exit', (code) => reject(new Error(`sidecar exited ${code}: ${out}`)));
  });
}
