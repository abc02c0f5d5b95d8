/**
 * The store's two kinds of login: sidecars, which may only INSERT events (so a compromised pod can
 * add noise but never erase or rewrite what was recorded, nor read other pods' sessions), and
 * readers (auditors, the CLI), which may only SELECT.
 */
import type pg from 'pg';

export interface RoleSpec {
  name: string;
  password: string;
  /** Limit on the role's connections (default 10 for sidecars, 5 for readers). */
  connectionLimit?: number;
}

const NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export class RoleError extends Error {
  override name = 'RoleError';
}

async function upsertLogin(client: pg.ClientBase, spec: RoleSpec, limit: number): Promise<string> {
  if (!NAME.test(spec.name))
    throw new RoleError(`role name ${JSON.stringify(spec.name)} is not a plain lower-case identifier`);
  const ident = client.escapeIdentifier(spec.name);
  const literal = client.escapeLiteral(spec.password);
  const { rowCount } = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [spec.name]);
  const verb = rowCount ? 'ALTER' : 'CREATE';
  await client.query(
    `${verb} ROLE ${ident} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT NOBYPASSRLS CONNECTION LIMIT ${limit} PASSWORD ${literal}`,
  );
  const { rows } = await client.query<{ db: string }>('SELECT current_database() AS db');
  for (const { db } of rows)
    await client.query(`GRANT CONNECT ON DATABASE ${client.escapeIdentifier(db)} TO ${ident}`);
  await client.query(`GRANT USAGE ON SCHEMA recording TO ${ident}`);
  return ident;
}

/** Creates (or resets the password of) a sidecar role: INSERT on `recording.events`, nothing else. */
export async function createSidecarRole(client: pg.ClientBase, spec: RoleSpec): Promise<void> {
  const ident = await upsertLogin(client, spec, spec.connectionLimit ?? 10);
  await client.query(`REVOKE ALL ON ALL TABLES IN SCHEMA recording FROM ${ident}`);
  await client.query(`GRANT INSERT ON recording.events TO ${ident}`);
}

/**
 * Creates (or resets the password of) a reader role: SELECT on the events, the event log (the
 * events with terminal output back in their payloads, what the CLI reads) and the sessions view.
 */
export async function createReaderRole(client: pg.ClientBase, spec: RoleSpec): Promise<void> {
  const ident = await upsertLogin(client, spec, spec.connectionLimit ?? 5);
  await client.query(`GRANT SELECT ON recording.events, recording.event_log, recording.sessions TO ${ident}`);
}
