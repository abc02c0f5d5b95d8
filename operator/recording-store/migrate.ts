/**
 * Applies the recording store's migrations, idempotently and safely from several operator replicas
 * at once: one transaction under an advisory lock, each migration once, recorded in
 * `recording.schema_migrations`. Then makes sure the day partitions around `now` exist.
 */
import type pg from 'pg';
import { MIGRATIONS, type Migration } from './migrations.js';
import { ensurePartitions } from './partitions.js';

/** Arbitrary, fixed: the advisory lock all replicas take while migrating. */
const LOCK_KEY = 0x63726577; // "crew"

export class MigrationError extends Error {
  override name = 'MigrationError';
  constructor(
    message: string,
    readonly migration: Pick<Migration, 'version' | 'name'>,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export async function migrate(
  client: pg.ClientBase,
  options: { now?: Date; migrations?: readonly Migration[] } = {},
): Promise<{ applied: number[] }> {
  const applied: number[] = [];
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1)', [LOCK_KEY]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS recording`);
    await client.query(
      `CREATE TABLE IF NOT EXISTS recording.schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
    );
    const { rows } = await client.query<{ version: number }>(
      'SELECT version FROM recording.schema_migrations',
    );
    const done = new Set(rows.map((r) => r.version));
    for (const m of options.migrations ?? MIGRATIONS) {
      if (done.has(m.version)) continue;
      try {
        await client.query(m.sql);
      } catch (error) {
        throw new MigrationError(
          `recording store migration ${m.version} (${m.name}) failed: ${error instanceof Error ? error.message : String(error)}`,
          m,
          { cause: error },
        );
      }
      await client.query('INSERT INTO recording.schema_migrations (version, name) VALUES ($1, $2)', [
        m.version,
        m.name,
      ]);
      applied.push(m.version);
    }
    await ensurePartitions(client, options.now ?? new Date());
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
  return { applied };
}
