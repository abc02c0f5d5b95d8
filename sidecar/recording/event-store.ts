/**
 * Where the shipper writes: the recording store (PostgreSQL, operator/recording-store). The
 * sidecar's role may only INSERT, so the write is one idempotent multi-row insert: a batch shipped
 * again after a crash (spooled, inserted, not yet committed as shipped) hits the primary key
 * (session_started, session, seq) and is skipped, not duplicated.
 */
import pg from 'pg';
import { StoreError } from './errors.js';
import type { RecordedEvent } from './recorded-event.js';

/** The one operation the shipper needs; tests may pass another implementation. */
export interface EventStore {
  insert(events: RecordedEvent[]): Promise<void>;
  close(): Promise<void>;
}

export interface PgEventStoreOptions {
  host: string;
  port: number;
  database: string;
  user: string;
  password: string;
  ssl?: pg.ClientConfig['ssl'];
  /** Gives up on an unreachable store after this long (default 5 s); the shipper retries. */
  connectTimeoutMs?: number;
  /** Gives up on a hung insert after this long (default 30 s). */
  queryTimeoutMs?: number;
}

const INSERT = `
  INSERT INTO recording.events (session_started, session, seq, time, type, payload, prev_hash, hash)
  SELECT * FROM unnest($1::timestamptz[], $2::text[], $3::int[], $4::timestamptz[], $5::text[], $6::jsonb[], $7::text[], $8::text[])
  ON CONFLICT DO NOTHING`;

/** One connection, opened on first use and after any failure. */
export class PgEventStore implements EventStore {
  private client: pg.Client | undefined;

  constructor(private readonly options: PgEventStoreOptions) {}

  async insert(events: RecordedEvent[]): Promise<void> {
    const first = events[0];
    if (!first) return;
    const batch = { firstSession: first.session, firstSeq: first.seq, events: events.length };
    try {
      const client = await this.connected();
      await client.query(INSERT, [
        events.map((e) => e.sessionStarted),
        events.map((e) => e.session),
        events.map((e) => e.seq),
        events.map((e) => e.time),
        events.map((e) => e.type),
        events.map((e) => JSON.stringify(e.payload)),
        events.map((e) => e.prevHash),
        events.map((e) => e.hash),
      ]);
    } catch (error) {
      await this.drop();
      const message = error instanceof Error ? error.message : String(error);
      throw new StoreError(
        `cannot write ${events.length} events to the recording store ${this.options.host}:${this.options.port}/${this.options.database}: ${message}`,
        batch,
        {
          cause: error,
        },
      );
    }
  }

  async close(): Promise<void> {
    await this.drop();
  }

  private async connected(): Promise<pg.Client> {
    if (this.client) return this.client;
    const client = new pg.Client({
      host: this.options.host,
      port: this.options.port,
      database: this.options.database,
      user: this.options.user,
      password: this.options.password,
      ssl: this.options.ssl,
      connectionTimeoutMillis: this.options.connectTimeoutMs ?? 5_000,
      query_timeout: this.options.queryTimeoutMs ?? 30_000,
      application_name: 'crewgate-sidecar-recorder',
    });
    // A store that goes away emits 'error' on an idle client; the next insert reconnects.
    client.on('error', () => void this.drop());
    await client.connect();
    this.client = client;
    return client;
  }

  private async drop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }
}
