// The listener's other front doors: TLS to the sidecar (verify-full against a CA the pod trusts),
// the pod's workload identity when no token is sent, binary-format results under masking, a
// FunctionCall, and the sidecar as the process a pod runs, with its /metrics.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { issueCertificate, loadCertificateAuthority } from '../../operator/pki/certificates.js';
import { oidcToken } from '../harness/oidc-token.js';
import { runCommand } from '../harness/run.js';
import { WORKLOAD_IDENTITY_PASSWORD } from '../../sidecar/identity/workload-identity-password.js';
import { startProxy, type ProxyUnderTest } from './support/postgres-proxy.js';
import { startSidecarProcess, writeShopSidecarConfig } from './support/sidecar-process.js';

const harness = inject('harness');
const dir = mkdtempSync(join(tmpdir(), 'crewgate-listener-'));
let tlsProxy: ProxyUnderTest;
let analyst: string;

beforeAll(async () => {
  const ca = await loadCertificateAuthority(
    readFileSync(harness.caCertificateFile, 'utf8'),
    readFileSync(harness.caKeyFile, 'utf8'),
  );
  const serving = await issueCertificate(ca, {
    commonName: 'crewgate-sidecar',
    dnsNames: ['localhost'],
    ipAddresses: ['127.0.0.1'],
    usage: 'server',
  });
  tlsProxy = await startProxy(harness, {
    listener: {
      tls: { certificatePem: serving.certificatePem, privateKeyPem: serving.privateKeyPem },
      requireTls: true,
      workloadIdentity: {
        subject: 'system:serviceaccount:agents:research-crew',
        groups: ['crewai-viewer'],
        serviceAccount: 'agents/research-crew',
      },
    },
  });
  analyst = await oidcToken(harness.oidc, 'agent-analyst');
});
afterAll(async () => {
  await tlsProxy?.listener.close();
});

const psql = (env: Record<string, string>, sql: string) =>
  runCommand(join(harness.postgres.binDir, 'psql'), ['-XAt', '-c', sql], {
    env: {
      ...process.env,
      PGHOST: '127.0.0.1',
      PGPORT: String(tlsProxy.listener.port),
      PGUSER: 'agent',
      PGDATABASE: 'shop',
      PGCONNECT_TIMEOUT: '5',
      ...env,
    },
  });

describe('TLS between the agent and the sidecar', () => {
  it('psql with sslmode=verify-full against the pod’s CA works, and the server is the sidecar', async () => {
    const result = await psql(
      { PGPASSWORD: analyst, PGSSLMODE: 'verify-full', PGSSLROOTCERT: harness.caCertificateFile },
      'SELECT count(*) FROM orders',
    );
    expect(result.stderr).toBe('');
    expect(result.stdout.trim()).toBe('6');
  });

  it('a client that will not use TLS is refused when the listener requires it', async () => {
    const result = await psql({ PGPASSWORD: analyst, PGSSLMODE: 'disable' }, 'SELECT 1');
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/crewgate requires TLS/);
  });
});

describe('workload identity', () => {
  it('a client with no token is the pod’s service account, and the policies for its groups apply', async () => {
    const client = new pg.Client({
      host: '127.0.0.1',
      port: tlsProxy.listener.port,
      user: 'agent',
      database: 'shop',
      password: '',
      ssl: { ca: readFileSync(harness.caCertificateFile, 'utf8') },
    });
    await client.connect();
    const rows = await client.query('SELECT email FROM customers WHERE id = 1');
    const drop = (await client.query('DROP TABLE orders').catch((e: unknown) => e)) as pg.DatabaseError;
    await client.end();
    expect(rows.rows[0].email).not.toBe('ada@example.com');
    expect(drop.code).toBe('42501');
    const start = tlsProxy.recorder.events.find(
      (e) => e.type === 'session.start' && e.identity.subject.startsWith('system:serviceaccount:'),
    );
    expect(start).toBeDefined();
  });
});

describe('workload identity from libpq clients (psql)', () => {
  const tls = { PGSSLMODE: 'verify-full', PGSSLROOTCERT: harness.caCertificateFile };
  const sessionStarts = () => tlsProxy.recorder.events.filter((e) => e.type === 'session.start');

  it('psql with PGPASSWORD set to the well-known marker is the pod’s service account', async () => {
    const before = sessionStarts().length;
    const result = await psql(
      { ...tls, PGPASSWORD: WORKLOAD_IDENTITY_PASSWORD },
      'SELECT count(*) FROM orders',
    );
    expect(result.stderr).toBe('');
    expect(result.stdout.trim()).toBe('6');
    const started = sessionStarts().slice(before);
    expect(started.map((e) => e.type === 'session.start' && e.identity.subject)).toEqual([
      'system:serviceaccount:agents:research-crew',
    ]);
  });

  it('without any password libpq gives up before the sidecar can help: why the injector sets PGPASSWORD', async () => {
    const result = await psql({ ...tls, PGPASSWORD: '' }, 'SELECT 1');
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/fe_sendauth: no password supplied/);
  });

  it('any other password that is not a token is refused as before', async () => {
    const result = await psql({ ...tls, PGPASSWORD: 'crewgate:workload-identity-please' }, 'SELECT 1');
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/token refused \(malformed\)/);
  });

  it('a listener without a workload identity refuses the marker, saying a token is needed', async () => {
    const plain = await startProxy(harness);
    try {
      const result = await runCommand(join(harness.postgres.binDir, 'psql'), ['-XAt', '-c', 'SELECT 1'], {
        env: {
          ...process.env,
          PGHOST: '127.0.0.1',
          PGPORT: String(plain.listener.port),
          PGUSER: 'agent',
          PGDATABASE: 'shop',
          PGPASSWORD: WORKLOAD_IDENTITY_PASSWORD,
          PGCONNECT_TIMEOUT: '5',
        },
      });
      expect(result.code).not.toBe(0);
      expect(result.stderr).toMatch(/an OIDC token is required as the password .*no workload identity/);
      expect(plain.recorder.events.filter((e) => e.type === 'session.start')).toEqual([]);
    } finally {
      await plain.listener.close();
    }
  });

  it('a token in the connection string wins over the marker in PGPASSWORD', async () => {
    const before = sessionStarts().length;
    const result = await runCommand(
      join(harness.postgres.binDir, 'psql'),
      [
        '-XAt',
        '-c',
        'SELECT 1',
        `host=127.0.0.1 port=${tlsProxy.listener.port} user=agent dbname=shop password=${analyst}`,
      ],
      { env: { ...process.env, ...tls, PGPASSWORD: WORKLOAD_IDENTITY_PASSWORD, PGCONNECT_TIMEOUT: '5' } },
    );
    expect(result.stderr).toBe('');
    const started = sessionStarts().slice(before);
    expect(started).toHaveLength(1);
    const subject = started[0]!.type === 'session.start' ? started[0]!.identity.subject : '';
    expect(subject).not.toMatch(/^system:serviceaccount:/);
  });
});

/** node-postgres asks for binary results with `binary: true`, which its type definitions omit. */
const binaryQuery = (text: string, values: unknown[]) => ({ text, values, binary: true }) as pg.QueryConfig;

describe('binary results under masking', () => {
  const binaryClient = async () => {
    const c = new pg.Client({
      host: '127.0.0.1',
      port: tlsProxy.listener.port,
      user: 'agent',
      database: 'shop',
      password: analyst,
      ssl: { ca: readFileSync(harness.caCertificateFile, 'utf8') },
    });
    await c.connect();
    return c;
  };

  it('masks a text column requested in binary format', async () => {
    const c = await binaryClient();
    const result = await c.query(binaryQuery('SELECT email FROM customers WHERE id = $1', [2]));
    await c.end();
    const email = Buffer.isBuffer(result.rows[0].email)
      ? result.rows[0].email.toString('utf8')
      : String(result.rows[0].email);
    expect(email).not.toContain('grace@example.com');
  });

  it('refuses a binary column it cannot read as text rather than pass it unmasked', async () => {
    const c = await binaryClient();
    const error = (await c
      .query(binaryQuery('SELECT id, card_number::bytea AS raw FROM customers WHERE id = $1', [1]))
      .catch((e: unknown) => e)) as pg.DatabaseError;
    const after = await c.query('SELECT 1 AS ok');
    await c.end();
    expect(error.code).toBe('0A000');
    expect(error.message).toMatch(/binary format.*cannot mask/);
    expect(after.rows[0].ok).toBe(1);
  });
});

describe('the sidecar process', () => {
  it('serves PostgreSQL from its config file and counts decisions on /metrics', async () => {
    const pgInfo = harness.postgres;
    const config = writeShopSidecarConfig(harness, dir, {
      recording: { file: join(dir, 'sessions.jsonl') },
      metrics: { host: '127.0.0.1', port: 0 },
    });
    const sidecar = await startSidecarProcess(config);
    const child = sidecar.child;
    try {
      const ready = { listeners: { 'shop-db': sidecar.port }, metricsPort: sidecar.metricsPort! };
      const c = new pg.Client({
        host: '127.0.0.1',
        port: ready.listeners['shop-db'],
        user: 'agent',
        database: 'shop',
        password: analyst,
      });
      await c.connect();
      await c.query('SELECT 1');
      await c.query('DROP TABLE orders').catch(() => undefined);
      await c.end();
      const metrics = await (await fetch(`http://127.0.0.1:${ready.metricsPort}/metrics`)).text();
      expect(metrics).toMatch(/crewgate_commands_total\{protocol="postgres",decision="allow"\} 1/);
      expect(metrics).toMatch(/crewgate_commands_total\{protocol="postgres",decision="deny"\} 1/);
      expect(await (await fetch(`http://127.0.0.1:${ready.metricsPort}/readyz`)).text()).toBe('ok');
      const recorded = readFileSync(join(dir, 'sessions.jsonl'), 'utf8');
      expect(recorded).toContain('"rule":"no-drops"');
      expect(recorded).not.toContain(analyst);
      expect(recorded).not.toContain(pgInfo.app.password);
    } finally {
      child.kill('SIGTERM');
    }
  });
});
