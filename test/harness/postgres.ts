/**
 * A fresh PostgreSQL cluster from Debian's packages: initdb as a dedicated non-root OS user,
 * TLS on with a certificate from the harness CA, scram-sha-256 for every connection, a superuser,
 * and the seeded `shop` database owned by the role `app` (the credentials a Connection would hold).
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { issueCertificate, type CertificateAuthority } from '../../operator/pki/certificates.js';
import type { Binaries } from './binaries.js';
import { chownRecursive, serviceUser } from './os-user.js';
import { repositoryRoot } from './paths.js';
import { freePort } from './ports.js';
import { ManagedProcess } from './process.js';

const run = promisify(execFile);

export interface PostgresInfo {
  host: string;
  port: number;
  /** Directory of the server's Unix socket. */
  socketDir: string;
  caCertificateFile: string;
  superuser: { user: string; password: string };
  /** The owner of `shop`: what a Connection's Secret holds, never what an agent sees. */
  app: { user: string; password: string };
  database: string;
  binDir: string;
  dataDir: string;
  logFile: string;
}

export interface PostgresServer {
  info: PostgresInfo;
  /** SIGKILL: the fault tests' "database goes away". */
  kill(): Promise<void>;
  /** Start again on the same data directory and port. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

const secret = () => randomBytes(18).toString('base64url');

export async function startPostgres(
  binaries: Binaries,
  dir: string,
  ca: CertificateAuthority,
  caCertificateFile: string,
): Promise<PostgresServer> {
  const user = serviceUser();
  const port = await freePort();
  const dataDir = join(dir, 'data');
  const socketDir = join(dir, 'socket');
  mkdirSync(socketDir, { recursive: true });
  const superuser = { user: 'postgres', password: secret() };
  const app = { user: 'app', password: secret() };

  const serving = await issueCertificate(ca, {
    commonName: 'postgres',
    dnsNames: ['localhost'],
    ipAddresses: ['127.0.0.1'],
    usage: 'server',
  });
  writeFileSync(join(dir, 'server.crt'), serving.certificatePem);
  // PostgreSQL refuses a key others can read.
  writeFileSync(join(dir, 'server.key'), serving.privateKeyPem, { mode: 0o600 });
  writeFileSync(join(dir, 'pwfile'), superuser.password, { mode: 0o600 });
  chownRecursive(dir, user);

  await run(
    join(binaries.postgresBin, 'initdb'),
    [
      '-D',
      dataDir,
      '-U',
      superuser.user,
      `--pwfile=${join(dir, 'pwfile')}`,
      '--auth=scram-sha-256',
      '-E',
      'UTF8',
      '--locale=C',
      '--no-sync',
    ],
    { uid: user.uid, gid: user.gid },
  );
  writeFileSync(
    join(dataDir, 'pg_hba.conf'),
    [
      'local all all scram-sha-256',
      'host all all 127.0.0.1/32 scram-sha-256',
      'host all all ::1/128 scram-sha-256',
      '',
    ].join('\n'),
  );
  chownRecursive(dataDir, user);

  const logFile = join(dir, 'postgres.log');
  const args = [
    '-D',
    dataDir,
    '-c',
    'listen_addresses=127.0.0.1',
    '-c',
    `port=${port}`,
    '-c',
    `unix_socket_directories=${socketDir}`,
    '-c',
    'ssl=on',
    '-c',
    `ssl_cert_file=${join(dir, 'server.crt')}`,
    '-c',
    `ssl_key_file=${join(dir, 'server.key')}`,
    '-c',
    'password_encryption=scram-sha-256',
    '-c',
    'max_connections=300',
    // Test data is thrown away: durability would only cost time.
    '-c',
    'fsync=off',
    '-c',
    'synchronous_commit=off',
    '-c',
    'full_page_writes=off',
  ];
  let server: ManagedProcess | undefined;
  const start = async () => {
    server = new ManagedProcess({
      name: 'postgres',
      command: join(binaries.postgresBin, 'postgres'),
      args,
      logFile,
      uid: user.uid,
      gid: user.gid,
    });
    await server.waitUntilReady(async () => {
      const client = new pg.Client({
        host: '127.0.0.1',
        port,
        user: superuser.user,
        password: superuser.password,
        database: 'postgres',
      });
      try {
        await client.connect();
        return true;
      } finally {
        await client.end().catch(() => undefined);
      }
    }, 30_000);
  };
  await start();

  await run(
    binaries.psql,
    [
      '-v',
      'ON_ERROR_STOP=1',
      '-v',
      `app_password=${app.password}`,
      '-q',
      '-f',
      join(repositoryRoot, 'test/harness/seed/shop.sql'),
    ],
    {
      env: {
        ...process.env,
        PGHOST: '127.0.0.1',
        PGPORT: String(port),
        PGUSER: superuser.user,
        PGPASSWORD: superuser.password,
        PGDATABASE: 'postgres',
        PGSSLMODE: 'disable',
      },
    },
  );

  return {
    info: {
      host: '127.0.0.1',
      port,
      socketDir,
      caCertificateFile,
      superuser,
      app,
      database: 'shop',
      binDir: binaries.postgresBin,
      dataDir,
      logFile,
    },
    kill: async () => server?.kill(),
    start,
    stop: async () => server?.stop(),
  };
}
