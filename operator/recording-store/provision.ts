/**
 * Provisions a recording store on a PostgreSQL server the operator administers: the database of its
 * own, the schema (migrations), the sidecar and reader roles. Idempotent, so the operator runs it
 * on every start; tests run it against a PostgreSQL of their own.
 */
import pg from 'pg';
import { migrate } from './migrate.js';
import { createReaderRole, createSidecarRole, type RoleSpec } from './roles.js';

export interface ProvisionOptions {
  /** How to reach the server as an administrator (superuser or a role with CREATEDB and CREATEROLE). */
  admin: pg.ClientConfig;
  database: string;
  sidecar: RoleSpec;
  reader?: RoleSpec;
  now?: Date;
}

export async function provisionStore(options: ProvisionOptions): Promise<void> {
  const server = new pg.Client({ ...options.admin, database: options.admin.database ?? 'postgres' });
  await server.connect();
  try {
    const { rowCount } = await server.query('SELECT 1 FROM pg_database WHERE datname = $1', [
      options.database,
    ]);
    if (!rowCount) await server.query(`CREATE DATABASE ${server.escapeIdentifier(options.database)}`);
    await server.query(`REVOKE ALL ON DATABASE ${server.escapeIdentifier(options.database)} FROM PUBLIC`);
  } finally {
    await server.end();
  }
  const store = new pg.Client({ ...options.admin, database: options.database });
  await store.connect();
  try {
    await migrate(store, { now: options.now });
    await createSidecarRole(store, options.sidecar);
    if (options.reader) await createReaderRole(store, options.reader);
  } finally {
    await store.end();
  }
}
