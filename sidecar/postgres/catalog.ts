/**
 * Table and column names behind a RowDescription's (table OID, column number) pairs, read from the
 * upstream's catalog on a side connection with the Connection's credentials. Masking by
 * `customers.card_number` must hold under `SELECT card_number AS c FROM customers`, where the
 * result column is called `c` but still comes from that table's column.
 */
import pg from 'pg';
import type { UpstreamTarget } from './upstream.js';

export interface SourceColumn {
  /** `schema.table`. */
  table: string;
  column: string;
}

const key = (tableOid: number, columnNumber: number) => `${tableOid}:${columnNumber}`;

export class CatalogLookup {
  private readonly known = new Map<string, SourceColumn>();
  private readonly loadedTables = new Set<number>();
  private client: pg.Client | undefined;

  constructor(private readonly target: () => Promise<UpstreamTarget>) {}

  /** The source column, if loaded. */
  get(tableOid: number, columnNumber: number): SourceColumn | undefined {
    return this.known.get(key(tableOid, columnNumber));
  }

  missing(tableOids: Iterable<number>): number[] {
    return [...new Set(tableOids)].filter((oid) => oid !== 0 && !this.loadedTables.has(oid));
  }

  async load(tableOids: number[]): Promise<void> {
    if (tableOids.length === 0) return;
    const client = await this.connect();
    const result = await client.query<{
      oid: number;
      nspname: string;
      relname: string;
      attnum: number;
      attname: string;
    }>(
      `SELECT c.oid::int AS oid, n.nspname, c.relname, a.attnum::int AS attnum, a.attname
         FROM pg_catalog.pg_class c
         JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
         JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid
        WHERE c.oid = ANY($1::oid[]) AND a.attnum > 0`,
      [tableOids],
    );
    for (const row of result.rows) {
      this.known.set(key(row.oid, row.attnum), {
        table: `${row.nspname}.${row.relname}`,
        column: row.attname,
      });
    }
    for (const oid of tableOids) this.loadedTables.add(oid);
  }

  private async connect(): Promise<pg.Client> {
    if (this.client) return this.client;
    const t = await this.target();
    const client = new pg.Client({
      host: t.host,
      port: t.port,
      user: t.user,
      password: t.password,
      database: t.database,
      application_name: 'crewgate-catalog',
      ssl:
        t.tls.mode === 'disable'
          ? false
          : { ca: t.tls.ca, rejectUnauthorized: t.tls.mode === 'verify-full', servername: t.tls.serverName },
    });
    client.on('error', () => {
      this.client = undefined;
    });
    await client.connect();
    this.client = client;
    return client;
  }

  async close(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }
}
