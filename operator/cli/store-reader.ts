/**
 * Read access to the recording store for the CLI, through a reader role (SELECT only): never the
 * sidecars' insert-only role, which cannot read.
 */
import pg from 'pg';
import type { RecordedEvent } from '../../sidecar/recording/recorded-event.js';

export interface SessionSummary {
  session: string;
  started: Date;
  subject: string | null;
  groups: string[] | null;
  connection: string | null;
  protocol: string | null;
  client: string | null;
  ended: Date | null;
  endReason: string | null;
  finalHash: string | null;
  events: number;
  commands: number;
  denied: number;
}

export interface SessionFilter {
  subject?: string;
  connection?: string;
  since?: Date;
  until?: Date;
  /** Sessions with at least one command that got this decision. */
  decision?: 'Allow' | 'Deny';
  limit?: number;
}

export class StoreReaderError extends Error {
  override name = 'StoreReaderError';
}

interface EventRow {
  session_started: Date;
  session: string;
  seq: number;
  time: Date;
  type: RecordedEvent['type'];
  payload: Record<string, unknown>;
  prev_hash: string;
  hash: string;
}

const toEvent = (r: EventRow): RecordedEvent => ({
  session: r.session,
  seq: r.seq,
  sessionStarted: r.session_started.toISOString(),
  time: r.time.toISOString(),
  type: r.type,
  payload: r.payload,
  prevHash: r.prev_hash,
  hash: r.hash,
});

const EVENT_COLUMNS = 'session_started, session, seq, time, type, payload, prev_hash, hash';
/**
 * Where events are read from: the view that gives each payload as it was hashed, terminal output
 * back in it as base64 from the `data` column (migrations.ts, 4), whichever form the row is in.
 */
const EVENTS = 'recording.event_log';

export class StoreReader {
  private constructor(private readonly client: pg.Client) {}

  static async connect(connectionString: string): Promise<StoreReader> {
    const client = new pg.Client({ connectionString, application_name: 'crewgate-cli' });
    client.on('error', () => undefined);
    try {
      await client.connect();
    } catch (error) {
      throw new StoreReaderError(
        `cannot reach the recording store: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    return new StoreReader(client);
  }

  async close(): Promise<void> {
    await this.client.end();
  }

  async sessions(filter: SessionFilter): Promise<SessionSummary[]> {
    const where: string[] = [];
    const values: unknown[] = [];
    const add = (sql: (p: string) => string, value: unknown) => {
      values.push(value);
      where.push(sql(`$${values.length}`));
    };
    if (filter.subject) add((p) => `s.subject = ${p}`, filter.subject);
    if (filter.connection) add((p) => `s.connection = ${p}`, filter.connection);
    if (filter.since) add((p) => `s.started >= ${p}`, filter.since);
    if (filter.until) add((p) => `s.started < ${p}`, filter.until);
    if (filter.decision) {
      add(
        (
          p,
        ) => `EXISTS (SELECT 1 FROM ${EVENTS} c WHERE c.session_started = s.started AND c.session = s.session
                          AND c.type = 'command' AND c.payload #>> '{decision,action}' = ${p})`,
        filter.decision,
      );
    }
    values.push(filter.limit ?? 100);
    const { rows } = await this.client.query<Record<string, unknown>>(
      `SELECT * FROM recording.sessions s ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY s.started DESC, s.session LIMIT $${values.length}`,
      values,
    );
    return rows.map((r) => ({
      session: r.session as string,
      started: r.started as Date,
      subject: r.subject as string | null,
      groups: r.groups as string[] | null,
      connection: r.connection as string | null,
      protocol: r.protocol as string | null,
      client: r.client as string | null,
      ended: r.ended as Date | null,
      endReason: r.end_reason as string | null,
      finalHash: r.final_hash as string | null,
      events: r.events as number,
      commands: r.commands as number,
      denied: r.denied as number,
    }));
  }

  /** Finds a session by its id or a unique prefix of it (at least 8 characters). */
  async resolveSession(idOrPrefix: string): Promise<string> {
    if (idOrPrefix.length < 8)
      throw new StoreReaderError(
        `session ${JSON.stringify(idOrPrefix)}: give at least 8 characters of the id`,
      );
    const { rows } = await this.client.query<{ session: string }>(
      `SELECT DISTINCT session FROM ${EVENTS} WHERE seq = 0 AND (session = $1 OR starts_with(session, $1)) LIMIT 2`,
      [idOrPrefix],
    );
    const exact = rows.find((r) => r.session === idOrPrefix);
    if (exact) return exact.session;
    if (rows.length === 0) {
      // A session whose first event is missing can still be verified (and fail).
      const any = await this.client.query<{ session: string }>(
        `SELECT session FROM ${EVENTS} WHERE session = $1 LIMIT 1`,
        [idOrPrefix],
      );
      if (any.rowCount) return idOrPrefix;
      throw new StoreReaderError(`no session ${idOrPrefix} in the recording store`);
    }
    const [only, other] = rows;
    if (other || !only) throw new StoreReaderError(`session prefix ${idOrPrefix} is ambiguous`);
    return only.session;
  }

  /** Every event of one session, in sequence order. */
  async events(session: string): Promise<RecordedEvent[]> {
    const { rows } = await this.client.query<EventRow>(
      `SELECT ${EVENT_COLUMNS} FROM ${EVENTS} WHERE session = $1 ORDER BY seq`,
      [session],
    );
    return rows.map(toEvent);
  }

  /**
   * Events of sessions started in [since, until), session by session in order, a page at a time
   * (keyset pagination), so an export of months does not sit in memory.
   */
  async *eventsBetween(since: Date, until: Date, pageSize = 5_000): AsyncGenerator<RecordedEvent> {
    let after: [Date, string, number] = [since, '', -1];
    for (;;) {
      const { rows } = await this.client.query<EventRow>(
        `SELECT ${EVENT_COLUMNS} FROM ${EVENTS}
          WHERE session_started >= $1 AND session_started < $4 AND (session_started, session, seq) > ($1, $2, $3)
          ORDER BY session_started, session, seq LIMIT $5`,
        [after[0], after[1], after[2], until, pageSize],
      );
      for (const r of rows) yield toEvent(r);
      const last = rows.at(-1);
      if (rows.length < pageSize || !last) return;
      after = [last.session_started, last.session, last.seq];
    }
  }
}
