/**
 * Time partitions of `recording.events`: one per UTC day of `session_started`. The operator calls
 * `ensurePartitions` on start and daily (creating days ahead so a sidecar never waits on DDL), and
 * `dropPartitionsBefore` for retention: dropping a partition is instant and takes whole sessions.
 */
import type pg from 'pg';

const DAY_MS = 86_400_000;

export const partitionName = (day: Date) => `events_${day.toISOString().slice(0, 10).replaceAll('-', '')}`;

const startOfDay = (t: Date) => new Date(Math.floor(t.getTime() / DAY_MS) * DAY_MS);

/** Creates the partitions for `now - daysBehind` .. `now + daysAhead` that do not exist yet. */
export async function ensurePartitions(
  client: pg.ClientBase,
  now: Date,
  options: { daysAhead?: number; daysBehind?: number } = {},
): Promise<string[]> {
  const created: string[] = [];
  const first = startOfDay(now).getTime() - (options.daysBehind ?? 1) * DAY_MS;
  const last = startOfDay(now).getTime() + (options.daysAhead ?? 7) * DAY_MS;
  const existing = new Set(await listPartitions(client));
  for (let t = first; t <= last; t += DAY_MS) {
    const day = new Date(t);
    const name = partitionName(day);
    if (existing.has(name)) continue;
    await client.query(
      `CREATE TABLE IF NOT EXISTS recording.${name} PARTITION OF recording.events FOR VALUES FROM ('${day.toISOString()}') TO ('${new Date(t + DAY_MS).toISOString()}')`,
    );
    await client.query(`REVOKE ALL ON recording.${name} FROM PUBLIC`);
    created.push(name);
  }
  return created;
}

/** The day partitions that exist, oldest first (the default partition is not listed). */
export async function listPartitions(client: pg.ClientBase): Promise<string[]> {
  const { rows } = await client.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_inherits i
       JOIN pg_class c ON c.oid = i.inhrelid
       JOIN pg_class p ON p.oid = i.inhparent
       JOIN pg_namespace n ON n.oid = p.relnamespace
      WHERE n.nspname = 'recording' AND p.relname = 'events' AND c.relname ~ '^events_[0-9]{8}$'
      ORDER BY c.relname`,
  );
  return rows.map((r) => r.name);
}

/** Retention: drops every day partition wholly before `cutoff`'s day. Returns what it dropped. */
export async function dropPartitionsBefore(client: pg.ClientBase, cutoff: Date): Promise<string[]> {
  const limit = partitionName(startOfDay(cutoff));
  const dropped: string[] = [];
  for (const name of await listPartitions(client)) {
    if (name < limit) {
      await client.query(`DROP TABLE recording.${name}`);
      dropped.push(name);
    }
  }
  return dropped;
}
