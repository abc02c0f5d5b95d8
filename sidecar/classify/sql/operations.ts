/**
 * The SQL operation vocabulary: every string the SQL classifier can put in `operations`.
 *
 * Policies match on these names (DESIGN.md §5), so they are a public contract: kept as data so the
 * docs (docs/operations-sql.md), the tests and any policy linter read the same list. Each entry has
 * an example that the tests classify, so an example that drifts from the classifier fails the build.
 */

export interface SqlOperationInfo {
  /** The operation as it appears in `Classification.operations`. */
  readonly operation: string;
  /** What a statement that carries it does, in one line. */
  readonly meaning: string;
  /** A statement that produces this operation. */
  readonly example: string;
}

export const SQL_OPERATIONS = [
  {
    operation: 'select',
    meaning: 'Reads rows (SELECT, VALUES, TABLE, subqueries, cursors).',
    example: 'SELECT * FROM customers WHERE id = $1',
  },
  {
    operation: 'insert',
    meaning: 'Adds rows (also COPY FROM).',
    example: "INSERT INTO customers (name) VALUES ('Ada')",
  },
  {
    operation: 'update',
    meaning: 'Changes rows (also INSERT ... ON CONFLICT DO UPDATE).',
    example: 'UPDATE customers SET name = $1 WHERE id = $2',
  },
  { operation: 'delete', meaning: 'Removes rows.', example: 'DELETE FROM customers WHERE id = $1' },
  {
    operation: 'merge',
    meaning: 'MERGE; its WHEN clauses add insert/update/delete as they apply.',
    example:
      'MERGE INTO stock s USING deliveries d ON s.item = d.item WHEN MATCHED THEN UPDATE SET qty = s.qty + d.qty',
  },
  {
    operation: 'ddl.create',
    meaning:
      'Creates an object (table, view, index, function, trigger, rule, schema, CREATE TABLE AS, SELECT INTO...).',
    example: 'CREATE TABLE audit (id bigint PRIMARY KEY)',
  },
  {
    operation: 'ddl.alter',
    meaning: 'Changes an object definition (ALTER TABLE, ALTER DATABASE, ALTER ... OWNER TO...).',
    example: 'ALTER TABLE customers ADD COLUMN email text',
  },
  {
    operation: 'ddl.drop',
    meaning: 'Drops an object (DROP TABLE, DROP DATABASE, DROP OWNED...).',
    example: 'DROP TABLE customers',
  },
  { operation: 'ddl.truncate', meaning: 'Empties tables.', example: 'TRUNCATE customers' },
  {
    operation: 'ddl.rename',
    meaning: 'Renames an object or a column (ALTER ... RENAME).',
    example: 'ALTER TABLE customers RENAME TO clients',
  },
  {
    operation: 'ddl.comment',
    meaning: 'Sets a comment on an object.',
    example: "COMMENT ON TABLE customers IS 'paying customers'",
  },
  {
    operation: 'ddl.grant',
    meaning: 'Grants privileges or role membership (also ALTER DEFAULT PRIVILEGES ... GRANT).',
    example: 'GRANT SELECT ON customers TO analyst',
  },
  {
    operation: 'ddl.revoke',
    meaning: 'Revokes privileges or role membership.',
    example: 'REVOKE ALL ON customers FROM analyst',
  },
  {
    operation: 'ddl.role',
    meaning: 'Creates, alters, renames or drops a role or user.',
    example: "CREATE ROLE intern LOGIN PASSWORD 'x'",
  },
  {
    operation: 'copy.to',
    meaning: 'COPY ... TO: streams a table or query out.',
    example: 'COPY customers TO STDOUT',
  },
  {
    operation: 'copy.from',
    meaning: 'COPY ... FROM: streams rows in (always with insert).',
    example: 'COPY customers FROM STDIN',
  },
  {
    operation: 'copy.program',
    meaning: 'COPY TO/FROM PROGRAM: runs a shell command on the database server.',
    example: "COPY customers FROM PROGRAM 'curl http://x'",
  },
  {
    operation: 'copy.file',
    meaning: 'COPY TO/FROM a file on the database server.',
    example: "COPY customers TO '/tmp/customers.csv'",
  },
  {
    operation: 'explain',
    meaning: 'EXPLAIN; with ANALYZE the inner statement really runs and its operations follow.',
    example: 'EXPLAIN SELECT * FROM customers',
  },
  { operation: 'show', meaning: 'Shows a setting.', example: 'SHOW search_path' },
  {
    operation: 'set',
    meaning: 'Changes a session or transaction setting (SET, SET LOCAL, SET TRANSACTION, SET CONSTRAINTS).',
    example: "SET search_path = 'app'",
  },
  {
    operation: 'set.role',
    meaning: "Changes the current role (SET [LOCAL] ROLE, RESET ROLE, set_config('role', ...)).",
    example: 'SET ROLE admin',
  },
  {
    operation: 'set.session_authorization',
    meaning: 'Changes the session user (SET SESSION AUTHORIZATION, RESET ..., DISCARD ALL).',
    example: 'SET SESSION AUTHORIZATION postgres',
  },
  {
    operation: 'reset',
    meaning: 'Resets a setting to its default (RESET x, RESET ALL).',
    example: 'RESET search_path',
  },
  {
    operation: 'alter.system',
    meaning: 'ALTER SYSTEM: writes postgresql.auto.conf for the whole server.',
    example: "ALTER SYSTEM SET log_statement = 'none'",
  },
  {
    operation: 'transaction',
    meaning: 'Transaction control: BEGIN, COMMIT, ROLLBACK, SAVEPOINT, RELEASE, PREPARE TRANSACTION...',
    example: 'BEGIN',
  },
  {
    operation: 'prepare',
    meaning: "PREPARE name AS <stmt>; the prepared statement's operations follow.",
    example: 'PREPARE del(int) AS DELETE FROM customers WHERE id = $1',
  },
  {
    operation: 'execute',
    meaning: "EXECUTE name; followed by the prepared statement's operations when the session knows them.",
    example: 'EXECUTE del(42)',
  },
  { operation: 'deallocate', meaning: 'Forgets a prepared statement.', example: 'DEALLOCATE del' },
  {
    operation: 'do',
    meaning: 'DO: runs an anonymous procedural block; its body is not inspected.',
    example: 'DO $$ BEGIN PERFORM 1; END $$',
  },
  { operation: 'call', meaning: 'CALL: runs a procedure.', example: 'CALL refresh_reports()' },
  { operation: 'listen', meaning: 'LISTEN / UNLISTEN on a notification channel.', example: 'LISTEN jobs' },
  { operation: 'notify', meaning: 'Sends a notification.', example: "NOTIFY jobs, 'run'" },
  {
    operation: 'lock',
    meaning: 'Takes explicit locks: LOCK TABLE, SELECT ... FOR UPDATE/NO KEY UPDATE/SHARE/KEY SHARE.',
    example: 'LOCK TABLE customers IN ACCESS EXCLUSIVE MODE',
  },
  {
    operation: 'maintenance',
    meaning: 'VACUUM, ANALYZE, CLUSTER, REINDEX, CHECKPOINT, REFRESH MATERIALIZED VIEW.',
    example: 'VACUUM (FULL) customers',
  },
  {
    operation: 'discard',
    meaning: 'DISCARD session state (DISCARD ALL also resets the session user: set.session_authorization).',
    example: 'DISCARD PLANS',
  },
  {
    operation: 'function.<name>',
    meaning:
      'A call of a dangerous or side-effecting function from DANGEROUS_FUNCTIONS, anywhere in the statement.',
    example: 'SELECT pg_terminate_backend(pid) FROM pg_stat_activity',
  },
  {
    operation: 'other',
    meaning:
      'A statement the grammar accepts but the classifier has no specific operation for (LOAD, future statements).',
    example: "LOAD 'auto_explain'",
  },
  {
    operation: 'unparseable',
    meaning: 'Text the PostgreSQL grammar rejects (or that cannot be classified safely); denied by default.',
    example: 'SELEC * FROM customers',
  },
] as const satisfies readonly SqlOperationInfo[];

/** The operations that are a fixed string; `function.<name>` is a family, see {@link functionOperation}. */
export type FixedSqlOperation = Exclude<(typeof SQL_OPERATIONS)[number]['operation'], 'function.<name>'>;

/** Any operation the SQL classifier can emit. */
export type SqlOperation = FixedSqlOperation | `function.${string}`;

/** The operation for a call of a listed function: its lowercase name, unqualified. */
export function functionOperation(lowercaseName: string): `function.${string}` {
  return `function.${lowercaseName}`;
}
