/**
 * Text crafted to make a write look like a read, or to hide a second statement: comments, quoting,
 * escapes, encodings, nesting. Each case says what PostgreSQL itself would execute.
 */

import { beforeAll, describe, expect, it } from 'vitest';
import { UNPARSEABLE } from '../../core/command.js';
import { classifySql } from './classify-sql.js';
import { initSqlClassifier } from './parser.js';

beforeAll(async () => {
  await initSqlClassifier();
});

/** [sql, operations of each statement in order, texts of each statement (default: the sql)] */
type Case = [sql: string, operations: string[][], texts?: string[]];

function corpus(cases: Case[]): void {
  it.each(cases)('%j', (sql, operations, texts) => {
    const result = classifySql(sql);
    expect(result.map((c) => c.operations)).toEqual(operations);
    expect(result.map((c) => c.text)).toEqual(texts ?? [sql]);
  });
}

describe('comments', () => {
  corpus([
    ['SELECT 1 /* ; DROP TABLE t */', [['select']]],
    ['SELECT /* nested /* comment */ ; DROP TABLE t */ 1', [['select']]],
    // A statement's text starts at its first token: a leading comment cannot dodge a text rule.
    ['/* DROP TABLE t; */ SELECT 1', [['select']], ['SELECT 1']],
    ['SELECT 1 -- ; DROP TABLE t', [['select']]],
    ['SELECT 1 --\n; DROP TABLE t', [['select'], ['ddl.drop']], ['SELECT 1 --', 'DROP TABLE t']],
    ['SELECT 1; -- harmless\nDROP TABLE t', [['select'], ['ddl.drop']], ['SELECT 1', 'DROP TABLE t']],
    [
      'SELECT 1 -- comment ends the line\n , 2; DELETE FROM t',
      [['select'], ['delete']],
      ['SELECT 1 -- comment ends the line\n , 2', 'DELETE FROM t'],
    ],
    ['DROP/**/TABLE/**/t', [['ddl.drop']]],
    ['SELECT 1 /* unterminated ; DROP TABLE t', [[UNPARSEABLE]]],
    ['SELECT 1 /* /* */ ; DROP TABLE t', [[UNPARSEABLE]]],
  ]);
});

describe('quoting and dollar quoting', () => {
  corpus([
    ['SELECT $$; DROP TABLE t; $$', [['select']]],
    ['SELECT $tag$ ; DROP TABLE t; $not_the_end$ ; $tag$', [['select']]],
    [
      'SELECT $a$$b$$a$ AS x; DROP TABLE t',
      [['select'], ['ddl.drop']],
      ['SELECT $a$$b$$a$ AS x', 'DROP TABLE t'],
    ],
    ["SELECT 'it''s; DROP TABLE t'", [['select']]],
    ["SELECT E'\\';DROP TABLE t;--'", [['select']]],
    ["SELECT E'\\x44ROP TABLE t'", [['select']]],
    ["SELECT E'\\\\'; DROP TABLE t", [['select'], ['ddl.drop']], ["SELECT E'\\\\'", 'DROP TABLE t']],
    ["SELECT 'a' 'b'", [[UNPARSEABLE]]],
    ["SELECT 'a'\n'b; DROP TABLE t'", [['select']]],
    ['SELECT * FROM "weird;name"', [['select']]],
    [
      'DO $do$ BEGIN EXECUTE $x$DROP TABLE t$x$; END $do$; SELECT 1',
      [['do'], ['select']],
      ['DO $do$ BEGIN EXECUTE $x$DROP TABLE t$x$; END $do$', 'SELECT 1'],
    ],
    ['DO $$ BEGIN PERFORM pg_terminate_backend(1); END $$', [['do']]],
    [
      'CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $body$ BEGIN DELETE FROM t; END $body$',
      [['ddl.create']],
    ],
  ]);
});

describe('unicode escapes and encodings', () => {
  it('resolves U& identifiers to the relation they name', () => {
    expect(classifySql('SELECT * FROM U&"cust\\006Fmers"')[0]?.resources).toEqual([
      'customers',
      'read:customers',
    ]);
    expect(classifySql('SELECT * FROM U&"!0063ustomers" UESCAPE \'!\'')[0]?.resources).toEqual([
      'customers',
      'read:customers',
    ]);
    expect(classifySql('DELETE FROM U&"\\0074"')[0]).toMatchObject({
      operations: ['delete'],
      resources: ['t', 'write:t'],
    });
    expect(classifySql('SELECT U&"pg_read_\\0066ile"(\'/etc/passwd\')')[0]?.operations).toEqual([
      'select',
      'function.pg_read_file',
    ]);
  });

  corpus([
    ["SELECT U&'\\0044ROP TABLE t'", [['select']]],
    ["SELECT U&'d\\0061t\\+000061'", [['select']]],
    ["SELECT U&'\\003B DROP TABLE t'", [['select']]],
    ["SELECT 'é'; DROP TABLE t", [['select'], ['ddl.drop']], ["SELECT 'é'", 'DROP TABLE t']],
    [
      'SELECT \'日本語😀\' AS "列"; DELETE FROM "テーブル"',
      [['select'], ['delete']],
      ['SELECT \'日本語😀\' AS "列"', 'DELETE FROM "テーブル"'],
    ],
    [
      'SELECT 1 AS café\u00a0; DROP TABLE t',
      [['select'], ['ddl.drop']],
      ['SELECT 1 AS café\u00a0', 'DROP TABLE t'],
    ],
    [
      'SeLeCt * FrOm CuStOmErS; dRoP tAbLe T',
      [['select'], ['ddl.drop']],
      ['SeLeCt * FrOm CuStOmErS', 'dRoP tAbLe T'],
    ],
  ]);

  it('keeps byte offsets right after multi-byte text', () => {
    const [first, second] = classifySql('SELECT \'😀😀😀\' FROM a;\n  UPDATE "ü" SET x = 1');
    expect(first?.text).toBe("SELECT '😀😀😀' FROM a");
    expect(second).toMatchObject({
      text: 'UPDATE "ü" SET x = 1',
      operations: ['update'],
      resources: ['ü', 'write:ü'],
    });
  });

  it('refuses text the parser would see only in part', () => {
    const nul = classifySql('SELECT 1\0; DROP TABLE t');
    expect(nul).toHaveLength(1);
    expect(nul[0]).toMatchObject({
      operations: [UNPARSEABLE],
      attributes: { parseError: 'query text contains a NUL character' },
    });
    // A lone surrogate makes the UTF-8 copy into WASM memory miscount and drop the tail.
    const surrogate = classifySql('SELECT \ud800\u4e00 1; DROP TABLE t');
    expect(surrogate).toHaveLength(1);
    expect(surrogate[0]?.operations).toEqual([UNPARSEABLE]);
  });
});

describe('writes and calls nested anywhere', () => {
  corpus([
    [
      'WITH a AS (WITH b AS (WITH c AS (DELETE FROM t RETURNING *) SELECT * FROM c) SELECT * FROM b) SELECT * FROM a',
      [['select', 'delete']],
    ],
    [
      'SELECT * FROM (SELECT * FROM (WITH d AS (UPDATE t SET a = 1 RETURNING *) SELECT * FROM d) x) y',
      [['select', 'update']],
    ],
    [
      'SELECT EXISTS (WITH d AS (INSERT INTO t VALUES (1) RETURNING 1) SELECT 1 FROM d)',
      [['select', 'insert']],
    ],
    ['EXPLAIN ANALYZE DELETE FROM t', [['explain', 'delete']]],
    [
      'EXPLAIN ANALYZE WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d',
      [['explain', 'select', 'delete']],
    ],
    ['SELECT * FROM t FOR UPDATE', [['select', 'lock']]],
    ["COPY t FROM PROGRAM 'rm -rf /'", [['copy.from', 'copy.program', 'insert']]],
    ["COPY (SELECT pg_read_file('/etc/passwd')) TO STDOUT", [['copy.to', 'select', 'function.pg_read_file']]],
    ["SELECT coalesce(NULL, pg_read_file('/etc/passwd'))", [['select', 'function.pg_read_file']]],
    ['SELECT 1 WHERE pg_terminate_backend(42)', [['select', 'function.pg_terminate_backend']]],
    ["SELECT * FROM pg_ls_dir('.')", [['select', 'function.pg_ls_dir']]],
    ["SELECT * FROM ROWS FROM (pg_ls_dir('.'), generate_series(1, 2))", [['select', 'function.pg_ls_dir']]],
    ["CREATE TABLE t (a text DEFAULT pg_read_file('x'))", [['ddl.create', 'function.pg_read_file']]],
    ["WITH x AS (SELECT lo_import('/etc/passwd')) SELECT * FROM x", [['select', 'function.lo_import']]],
    [
      "SELECT (SELECT query_to_xml('DELETE FROM t RETURNING *', true, false, ''))",
      [['select', 'function.query_to_xml']],
    ],
    ["SELECT 1 ORDER BY nextval('s')", [['select', 'function.nextval']]],
    ["SELECT 1 LIMIT (SELECT setval('s', 1))", [['select', 'function.setval']]],
    ["INSERT INTO t VALUES (nextval('s'))", [['insert', 'function.nextval']]],
    [
      'SELECT count(*) FILTER (WHERE pg_cancel_backend(1)) FROM t',
      [['select', 'function.pg_cancel_backend']],
    ],
    ['SELECT sum(x) OVER (ORDER BY pg_rotate_logfile()) FROM t', [['select', 'function.pg_rotate_logfile']]],
    ['SELECT * FROM a JOIN b ON pg_reload_conf()', [['select', 'function.pg_reload_conf']]],
    ['DELETE FROM t RETURNING pg_rotate_logfile()', [['delete', 'function.pg_rotate_logfile']]],
    ['UPDATE t SET a = 1 WHERE pg_switch_wal() IS NOT NULL', [['update', 'function.pg_switch_wal']]],
    ['SELECT CASE WHEN true THEN pg_switch_wal() END', [['select', 'function.pg_switch_wal']]],
    ["SELECT pg_read_file('x')::text", [['select', 'function.pg_read_file']]],
    ["SELECT ARRAY[dblink_exec('x')]", [['select', 'function.dblink_exec']]],
    [
      "SELECT upper(lower(trim(pg_read_binary_file('x')::text)))",
      [['select', 'function.pg_read_binary_file']],
    ],
    [
      "SELECT * FROM t WHERE a = ANY (SELECT unnest(ARRAY[pg_stat_file('x')::text]))",
      [['select', 'function.pg_stat_file']],
    ],
    ['VALUES (pg_cancel_backend(1))', [['select', 'function.pg_cancel_backend']]],
    ['CALL p(pg_terminate_backend(1))', [['call', 'function.pg_terminate_backend']]],
    ['EXECUTE q(pg_terminate_backend(1))', [['execute', 'function.pg_terminate_backend']]],
    ["SELECT pg_catalog.set_config('role', 'admin', false)", [['select', 'function.set_config', 'set.role']]],
    ["SELECT set_config('ROLE', 'admin', true)", [['select', 'function.set_config', 'set.role']]],
    [
      "SELECT set_config('session_authorization', 'postgres', false)",
      [['select', 'function.set_config', 'set.session_authorization']],
    ],
    [
      "SELECT set_config(name, 'x', false) FROM (VALUES ('role')) v(name)",
      [['select', 'function.set_config']],
    ],
    ['SET "ROLE" TO admin', [['set.role']]],
  ]);
});

describe('names that only look dangerous, and names that hide it', () => {
  corpus([
    ["SELECT PG_CATALOG.PG_READ_FILE('/etc/passwd')", [['select', 'function.pg_read_file']]],
    ['SELECT "pg_read_file"(\'/etc/passwd\')', [['select', 'function.pg_read_file']]],
    ['SELECT "PG_READ_FILE"(\'x\')', [['select', 'function.pg_read_file']]],
    ["SELECT myschema.pg_read_file('x')", [['select']]],
    ["SELECT app.pg_catalog.pg_read_file('x')", [['select', 'function.pg_read_file']]],
    ["SELECT public.dblink('conn', 'DELETE FROM t')", [['select', 'function.dblink']]],
    ["SELECT extensions.dblink_exec('conn', 'DROP TABLE t')", [['select', 'function.dblink_exec']]],
    [
      "SELECT pg_sleep(1), txid_current(), pg_current_xact_id(), xpath('/a', '<a/>'::xml), currval('s')",
      [['select']],
    ],
    ["SELECT pg_read_file_is_not_a_function('x')", [['select']]],
    ["SELECT 'pg_terminate_backend(1)'", [['select']]],
    ['SELECT pg_terminate_backend FROM t', [['select']]],
  ]);
});

describe('multi-statement strings', () => {
  corpus([
    ['SELECT 1; DROP TABLE t', [['select'], ['ddl.drop']], ['SELECT 1', 'DROP TABLE t']],
    ['SELECT 1;DROP TABLE t;', [['select'], ['ddl.drop']], ['SELECT 1', 'DROP TABLE t']],
    ['  SELECT 1 ;\n\n  DROP TABLE t ;  \n', [['select'], ['ddl.drop']], ['SELECT 1', 'DROP TABLE t']],
    [
      'BEGIN; DELETE FROM t; COMMIT',
      [['transaction'], ['delete'], ['transaction']],
      ['BEGIN', 'DELETE FROM t', 'COMMIT'],
    ],
    ['SELECT 1;; ;SELECT 2', [['select'], ['select']], ['SELECT 1', 'SELECT 2']],
    [
      'SET ROLE admin; SELECT * FROM secrets',
      [['set.role'], ['select']],
      ['SET ROLE admin', 'SELECT * FROM secrets'],
    ],
    ['SELECT 1; DROP TABLE', [[UNPARSEABLE]]],
  ]);
});
