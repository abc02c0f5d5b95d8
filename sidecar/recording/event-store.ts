/**
 * Where the shipper writes: the recording store (PostgreSQL, operator/recording-store). The
 * sidecar's role may only INSERT, so the write is one idempotent multi-row insert: a batch shipped
 * again after a crash (spooled, inserted, not yet committed as shipped) hits the primary key
 * (session_started, session, seq) and is skipped, not duplicated.
 */
import pg from 'pg';
import { StoreError } from './errors.js';
import { canonicalJson } from './canonical-json.js';
import type { RecordedEvent } from './recorded-event.js';

/** The one operation the shipper needs; tests may pass another implementation. */
export interface EventStore {
  /**
   * Writes a batch. The events are the spool's (SpoolBatch): one that keeps them past the call
   * keeps copies (`{...event}`), as terminal output is a view of the spool's read buffer.
   */
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

const COLUMNS = 9;
/** PostgreSQL's limit is 65,535 parameters per statement. */
const ROWS_PER_STATEMENT = Math.floor(65_535 / COLUMNS);
/** Average payload size from which a batch is sent row by row (see below). */
const LARGE_PAYLOAD_BYTES = 4096;

/**
 * Small events (most: commands, results, session starts) go as one array per column through
 * `unnest`, which the server plans once whatever the batch size; their payloads travel as one
 * text of newline-separated JSON, split by the server (canonical JSON has no raw newline: every
 * string escapes it), since a jsonb[] parameter would have node-pg escape every quote of every
 * payload into an array literal. Small terminal output (keystrokes) goes as base64 in a text[],
 * decoded by the server: node-pg would write a bytea[] as hex.
 */
const INSERT_SMALL = `
  INSERT INTO recording.events (session_started, session, seq, time, type, payload, prev_hash, hash, data)
  SELECT u.session_started, u.session, u.seq, u.time, u.type, u.payload, u.prev_hash, u.hash, decode(u.data, 'base64')
    FROM unnest($1::timestamptz[], $2::text[], $3::int[], $4::timestamptz[], $5::text[], string_to_array($6::text, E'\\n')::jsonb[], $7::text[], $8::text[], $9::text[])
      AS u(session_started, session, seq, time, type, payload, prev_hash, hash, data)
  ON CONFLICT DO NOTHING`;

/**
 * Large payloads (recorded terminal output, most of the bytes a sidecar ships) go as a multi-row
 * VALUES with every field a parameter of its own, cast once by the server: splitting or
 * array-parsing them first cost the store about as much again as parsing the JSON (measured:
 * 1.9 against 4.8 CPU s per 256 MiB of output, with lz4). For small events the long VALUES list
 * costs the server twice what unnest does, hence two forms. Terminal output is a Buffer, which
 * node-pg sends as a binary parameter: the server copies it into the bytea as it is.
 */
function insertLarge(rows: number): string {
  const tuples: string[] = [];
  for (let r = 0; r < rows; r++) {
    const p = r * COLUMNS;
    tuples.push(
      `($${p + 1}::timestamptz, $${p + 2}, $${p + 3}::int, $${p + 4}::timestamptz, $${p + 5}, $${p + 6}::jsonb, $${p + 7}, $${p + 8}, $${p + 9}::bytea)`,
    );
  }
  return `INSERT INTO recording.events (session_started, session, seq, time, type, payload, prev_hash, hash, data) VALUES ${tuples.join(',')} ON CONFLICT DO NOTHING`;
}

/**
 * How the store keeps `e` (migrations.ts, 4): a terminal event's output as bytes in `data` and
 * the rest of its payload as JSON, every other event (and terminal output whose `data` is not
 * base64 in the one spelling the store's event log gives back, which no recorder writes) as its
 * payload's JSON with `data` NULL.
 */
function storedForm(e: RecordedEvent): { payload: string; data: Buffer | null } {
  if (e.terminalOutput) return { payload: e.terminalOutput.payloadJson, data: e.terminalOutput.bytes };
  if (e.type === 'terminal') {
    const { data, ...rest } = e.payload;
    if (typeof data === 'string') {
      const bytes = Buffer.from(data, 'base64');
      if (bytes.toString('base64') === data) return { payload: canonicalJson(rest), data: bytes };
    }
  }
  return { payload: e.payloadJson ?? JSON.stringify(e.payload), data: null };
}

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
      // Terminal output as bytes, other payloads as the spool line's own text where the event was
      // read from one (RecordedEvent.payloadJson).
      const rows = events.map(storedForm);
      let bytes = 0;
      for (const r of rows) bytes += r.payload.length + (r.data?.length ?? 0);
      if (bytes / events.length < LARGE_PAYLOAD_BYTES) {
        await client.query(INSERT_SMALL, [
          events.map((e) => e.sessionStarted),
          events.map((e) => e.session),
          events.map((e) => e.seq),
          events.map((e) => e.time),
          events.map((e) => e.type),
          rows.map((r) => r.payload).join('\n'),
          events.map((e) => e.prevHash),
          events.map((e) => e.hash),
          rows.map((r) => r.data?.toString('base64') ?? null),
        ]);
        return;
      }
      // Statements of one batch need no transaction: a batch shipped again is skipped row by row.
      for (let i = 0; i < events.length; i += ROWS_PER_STATEMENT) {
        const part = events.slice(i, i + ROWS_PER_STATEMENT);
        const values: unknown[] = [];
        part.forEach((e, j) => {
          const row = rows[i + j]!;
          values.push(
            e.sessionStarted,
            e.session,
            e.seq,
            e.time,
            e.type,
            row.payload,
            e.prevHash,
            e.hash,
            row.data,
          );
        });
        await client.query(insertLarge(part.length), values);
      }
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
