import { beforeAll, describe, expect, it } from 'vitest';
import { classifySql } from './classify-sql.js';
import { DANGEROUS_FUNCTIONS, findDangerousFunction } from './dangerous-functions.js';
import { initSqlClassifier } from './parser.js';

beforeAll(async () => {
  await initSqlClassifier();
});

/** A concrete function name an entry matches: prefixes get a suffix. */
const callName = (name: string) => (name.endsWith('*') ? `${name.slice(0, -1)}shared` : name);

describe('DANGEROUS_FUNCTIONS', () => {
  it('is lowercase, unique and says why for every entry', () => {
    const names = DANGEROUS_FUNCTIONS.map((f) => f.name);
    expect(new Set(names).size).toBe(names.length);
    for (const f of DANGEROUS_FUNCTIONS) {
      expect(f.name).toBe(f.name.toLowerCase());
      expect(f.name).toMatch(/^[a-z_][a-z0-9_]*\*?$/);
      expect(f.reason.length).toBeGreaterThan(5);
    }
  });

  it('covers what the issue names', () => {
    for (const name of [
      'pg_terminate_backend',
      'pg_cancel_backend',
      'pg_reload_conf',
      'pg_rotate_logfile',
      'pg_read_file',
      'pg_read_binary_file',
      'pg_ls_dir',
      'pg_stat_file',
      'lo_import',
      'lo_export',
      'lo_unlink',
      'set_config',
      'dblink',
      'dblink_exec',
      'dblink_connect',
      'nextval',
      'setval',
      'pg_advisory_lock',
      'pg_advisory_lock_shared',
      'pg_switch_wal',
      'pg_create_restore_point',
      'pg_promote',
      'pg_backup_start',
      'pg_backup_stop',
      'pg_drop_replication_slot',
      'pg_create_physical_replication_slot',
      'pg_create_logical_replication_slot',
      'pg_file_write',
      'pg_logical_emit_message',
      'query_to_xml',
      'query_to_xml_and_xmlschema',
      'cursor_to_xml',
    ]) {
      expect(findDangerousFunction([name]), name).toBeDefined();
    }
  });

  it.each([
    'pg_sleep',
    'txid_current',
    'pg_current_xact_id',
    'xpath',
    'xpath_exists',
    'currval',
    'lastval',
    'now',
    'current_setting',
    'count',
  ])('%s is harmless', (name) => {
    expect(findDangerousFunction([name])).toBeUndefined();
    expect(classifySql(`SELECT ${name}()`)[0]?.operations).toEqual(['select']);
  });
});

describe('findDangerousFunction', () => {
  it.each([
    [['pg_read_file'], true],
    [['PG_READ_FILE'], true],
    [['pg_catalog', 'pg_read_file'], true],
    [['PG_CATALOG', 'Pg_Read_File'], true],
    [['mydb', 'pg_catalog', 'pg_read_file'], true],
    [['myschema', 'pg_read_file'], false],
    [['pg_catalog', 'myschema', 'pg_read_file'], false],
    [['public', 'dblink'], true],
    [['extensions', 'dblink_exec'], true],
    [['pg_advisory_lock_shared'], true],
    [['pg_stat_reset_shared'], true],
    [['pg_read_files'], false],
    [['read_file'], false],
    [[], false],
  ])('%j -> %s', (parts, dangerous) => {
    expect(findDangerousFunction(parts) !== undefined).toBe(dangerous);
  });
});

describe('every listed function is caught where it is called', () => {
  it.each(DANGEROUS_FUNCTIONS.map((f) => [f.name, f.anySchema === true] as const))(
    '%s',
    (name, anySchema) => {
      const fn = callName(name);
      const operation = `function.${fn}`;
      expect(classifySql(`SELECT ${fn}()`)[0]?.operations).toEqual(['select', operation]);
      expect(classifySql(`SELECT pg_catalog.${fn.toUpperCase()}(1)`)[0]?.operations).toEqual([
        'select',
        operation,
      ]);
      expect(classifySql(`SELECT * FROM t WHERE x IN (SELECT ${fn}(a) FROM u)`)[0]?.operations).toEqual([
        'select',
        operation,
      ]);
      expect(classifySql(`SELECT other_schema.${fn}()`)[0]?.operations).toEqual(
        anySchema ? ['select', operation] : ['select'],
      );
    },
  );
});
