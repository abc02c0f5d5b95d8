/**
 * A recording store on a PostgreSQL of the test file's own, provisioned by the operator's own
 * code: database `crewgate_audit`, an insert-only role for sidecars and a reader role.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import type { RecordedEvent } from '../../../sidecar/recording/index.js';
import { provisionStore } from '../../../operator/recording-store/index.js';
import type { PostgresInfo } from '../../harness/postgres.js';
import { startPrivatePostgres } from '../../harness/private-postgres.js';

export const STORE_DATABASE = 'crewgate_audit';

export interface RecordingStoreUnderTest {
  server: Awaited<ReturnType<typeof startPrivatePostgres>>;
  /** PEM of the CA that signed the store's serving certificate. */
  caCertificatePem: string;
  sidecarRole: { name: string; password: string };
  readerRole: { name: string; password: string };
  /** What a PgEventStore needs to write as the sidecar role. */
  storeOptions(): { host: string; port: number; database: string; user: string; password: string };
  /** A connection string for the reader role, as the CLI takes it. */
  readerUrl(): string;
  /** Runs `f` as the superuser on the store database. */
  asAdmin<T>(f: (client: pg.Client) => Promise<T>): Promise<T>;
}

export interface RecordingStoreOptions {
  sidecarRole?: { name: string; password: string };
  readerRole?: { name: string; password: string };
  /**
   * The harness runs PostgreSQL with synchronous_commit off (test data is thrown away); a store
   * that is killed on purpose must not acknowledge what it could lose, so this turns it back on.
   */
  durable?: boolean;
}

export async function startRecordingStore(
  purpose: string,
  options: RecordingStoreOptions = {},
): Promise<RecordingStoreUnderTest> {
  const server = await startPrivatePostgres(purpose);
  const sidecarRole = options.sidecarRole ?? {
    name: 'crewgate_sidecar',
    password: randomBytes(12).toString('hex'),
  };
  const readerRole = options.readerRole ?? {
    name: 'crewgate_reader',
    password: randomBytes(12).toString('hex'),
  };
  const info = server.info;
  await provisionStore({
    admin: { host: info.host, port: info.port, user: info.superuser.user, password: info.superuser.password },
    database: STORE_DATABASE,
    sidecar: sidecarRole,
    reader: readerRole,
  });
  const store: RecordingStoreUnderTest = {
    server,
    caCertificatePem: readFileSync(join(server.dir, 'ca.crt'), 'utf8'),
    sidecarRole,
    readerRole,
    storeOptions: () => ({
      host: info.host,
      port: info.port,
      database: STORE_DATABASE,
      user: sidecarRole.name,
      password: sidecarRole.password,
    }),
    readerUrl: () =>
      `postgresql://${readerRole.name}:${readerRole.password}@${info.host}:${info.port}/${STORE_DATABASE}?sslmode=disable`,
    asAdmin: (f) => asStoreAdmin(server, f),
  };
  if (options.durable)
    await store.asAdmin((c) => c.query(`ALTER DATABASE ${STORE_DATABASE} SET synchronous_commit = on`));
  return store;
}

/**
 * Runs `f` as the superuser on the store database of `server`: a store of startRecordingStore's,
 * or one the operator provisioned on a PostgreSQL of the test's own.
 */
export async function asStoreAdmin<T>(
  server: { info: Pick<PostgresInfo, 'host' | 'port' | 'superuser'> },
  f: (client: pg.Client) => Promise<T>,
): Promise<T> {
  const client = new pg.Client({
    host: server.info.host,
    port: server.info.port,
    user: server.info.superuser.user,
    password: server.info.superuser.password,
    database: STORE_DATABASE,
  });
  await client.connect();
  try {
    return await f(client);
  } finally {
    await client.end();
  }
}

/** The row a test reads back of every stored event; `E` says what its payload holds. */
export interface StoredEventRow {
  session: string;
  type: string;
  payload: object;
}

/**
 * Every session's events, in the order they were recorded (time, then seq), read from the event
 * log: the payloads as recorded, terminal output in them as base64.
 */
export async function allStoredEvents<E extends StoredEventRow = StoredEventRow>(
  client: pg.ClientBase,
): Promise<E[]> {
  return (await client.query<E>('SELECT session, type, payload FROM recording.event_log ORDER BY time, seq'))
    .rows;
}

/** A session's events as the store holds them, in order, in the shape the hash chain is checked on. */
export async function storedEvents(client: pg.ClientBase, session: string): Promise<RecordedEvent[]> {
  const { rows } = await client.query(
    `SELECT session_started, session, seq, time, type, payload, prev_hash, hash FROM recording.event_log WHERE session = $1 ORDER BY seq`,
    [session],
  );
  return rows.map((r) => ({
    session: r.session,
    seq: r.seq,
    sessionStarted: r.session_started.toISOString(),
    time: r.time.toISOString(),
    type: r.type,
    payload: r.payload,
    prevHash: r.prev_hash,
    hash: r.hash,
  }));
}
