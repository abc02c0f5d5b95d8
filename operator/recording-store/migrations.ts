/**
 * The recording store's schema, as ordered migrations the operator applies (DESIGN.md §7). The
 * store is a database of its own; everything lives in schema `recording`.
 *
 * `recording.events` is range-partitioned by `session_started` (the time of the session's first
 * event) into one partition per UTC day, so every event of a session sits in the same partition
 * and retention drops whole sessions: `DROP TABLE recording.events_YYYYMMDD` (see partitions.ts).
 * The primary key (session_started, session, seq) makes a re-shipped batch a no-op.
 *
 * Append only: the sidecars' role gets INSERT and nothing else (no SELECT, UPDATE, DELETE or
 * TRUNCATE); readers (the CLI) get SELECT, and read events through `recording.event_log`, which
 * gives every payload in the form it was hashed in (migration 4). Nobody but the owner can change a row, and a change the
 * owner makes shows in `crewgate verify`.
 */

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/**
 * lz4 TOAST compression for a column of recording.events and of every partition it has (the
 * parent's setting reaches only partitions created after it). A server built without lz4 (or
 * older than PostgreSQL 14) keeps pglz, with a notice.
 */
function lz4Compression(column: 'payload' | 'data'): string {
  return `DO $$
      DECLARE
        part regclass;
      BEGIN
        EXECUTE 'ALTER TABLE recording.events ALTER COLUMN ${column} SET COMPRESSION lz4';
        FOR part IN SELECT inhrelid::regclass FROM pg_inherits WHERE inhparent = 'recording.events'::regclass LOOP
          EXECUTE format('ALTER TABLE %s ALTER COLUMN ${column} SET COMPRESSION lz4', part);
        END LOOP;
      EXCEPTION WHEN feature_not_supported OR syntax_error THEN
        RAISE NOTICE 'recording.events.${column} stays compressed with pglz: %', SQLERRM;
      END
      $$;`;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'events',
    sql: `
      CREATE SCHEMA IF NOT EXISTS recording;
      REVOKE ALL ON SCHEMA recording FROM PUBLIC;
      CREATE TABLE IF NOT EXISTS recording.events (
        session_started timestamptz NOT NULL,
        session         text        NOT NULL,
        seq             integer     NOT NULL CHECK (seq >= 0),
        time            timestamptz NOT NULL,
        type            text        NOT NULL,
        payload         jsonb       NOT NULL,
        prev_hash       char(64)    NOT NULL,
        hash            char(64)    NOT NULL,
        received_at     timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (session_started, session, seq)
      ) PARTITION BY RANGE (session_started);
      REVOKE ALL ON recording.events FROM PUBLIC;
      -- Rows whose day has no partition yet (maintenance fell behind) land here instead of failing.
      CREATE TABLE IF NOT EXISTS recording.events_default PARTITION OF recording.events DEFAULT;
      CREATE INDEX IF NOT EXISTS events_session ON recording.events (session, seq);
      CREATE INDEX IF NOT EXISTS events_time ON recording.events (time);
      CREATE INDEX IF NOT EXISTS events_starts ON recording.events (session_started) WHERE type = 'session.start';
    `,
  },
  {
    version: 2,
    name: 'sessions view',
    sql: `
      -- One row per session: who, where, when, how it ended, and the strictest decision it saw.
      CREATE OR REPLACE VIEW recording.sessions AS
      SELECT s.session,
             s.session_started AS started,
             s.payload #>> '{identity,subject}' AS subject,
             s.payload -> 'identity' -> 'groups' AS groups,
             s.payload ->> 'connection' AS connection,
             s.payload ->> 'protocol' AS protocol,
             s.payload ->> 'client' AS client,
             e.time AS ended,
             e.payload ->> 'reason' AS end_reason,
             e.hash AS final_hash,
             c.events,
             c.commands,
             c.denied
        FROM recording.events s
        LEFT JOIN recording.events e
          ON e.session_started = s.session_started AND e.session = s.session AND e.type = 'session.end'
        CROSS JOIN LATERAL (
          SELECT count(*)::int AS events,
                 count(*) FILTER (WHERE x.type = 'command')::int AS commands,
                 count(*) FILTER (WHERE x.type = 'command' AND x.payload #>> '{decision,action}' = 'Deny')::int AS denied
            FROM recording.events x
           WHERE x.session_started = s.session_started AND x.session = s.session
        ) c
       WHERE s.seq = 0;
      REVOKE ALL ON recording.sessions FROM PUBLIC;
    `,
  },
  {
    version: 3,
    name: 'lz4 payloads',
    sql: `
      -- Recorded terminal output is most of what the store holds, and pglz compressed it at about
      -- a third of the store's CPU per recorded byte; lz4 costs a fraction of that. Existing rows
      -- keep their compression.
      ${lz4Compression('payload')}
    `,
  },
  {
    version: 4,
    name: 'terminal output as bytes',
    sql: `
      -- Terminal output is stored as its bytes: a terminal event's payload holds {elapsedMs, stream}
      -- and its output is in data, so the server neither lexes its base64 as JSON text (jsonb input
      -- goes character by character) nor stores a third more bytes than there are. Every other
      -- event, and terminal events stored before this migration, keep data NULL.
      ALTER TABLE recording.events ADD COLUMN IF NOT EXISTS data bytea;
      ${lz4Compression('data')}
      -- The events as they were recorded and hashed: a terminal event's payload with data back in
      -- it as standard padded base64 (encode() breaks its output into lines of 76: they are
      -- joined). The one place a reader gets payloads from, whichever form a row has.
      CREATE OR REPLACE VIEW recording.event_log AS
      SELECT session_started, session, seq, time, type,
             CASE WHEN data IS NULL THEN payload
                  ELSE payload || jsonb_build_object('data', translate(encode(data, 'base64'), E'\\n', ''))
             END AS payload,
             prev_hash, hash, received_at
        FROM recording.events;
      REVOKE ALL ON recording.event_log FROM PUBLIC;
      -- Whoever could read the events before (reader roles provisioned earlier) can read the log.
      DO $$
      DECLARE
        reader regrole;
      BEGIN
        FOR reader IN SELECT DISTINCT a.grantee::regrole FROM pg_class c, aclexplode(c.relacl) a
                       WHERE c.oid = 'recording.events'::regclass AND a.privilege_type = 'SELECT'
                         AND a.grantee <> 0 AND a.grantee <> c.relowner LOOP
          EXECUTE format('GRANT SELECT ON recording.event_log TO %s', reader);
        END LOOP;
      END
      $$;
    `,
  },
];
