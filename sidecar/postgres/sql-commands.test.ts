import { beforeAll, describe, expect, it } from 'vitest';
import { initSqlClassifier } from '../classify/sql/index.js';
import { ClassificationCache, SqlCommands } from './sql-commands.js';

const session = {
  connection: 'shop-db',
  protocol: 'postgres' as const,
  identity: { subject: 'agent', groups: [] },
  attributes: { database: 'shop' },
};

describe('SqlCommands', () => {
  beforeAll(() => initSqlClassifier());

  it('judges EXECUTE of a SQL-level PREPARE as what the prepared statement does', () => {
    const commands = new SqlCommands(session);
    expect(commands.fromText('PREPARE wipe AS DELETE FROM orders')[0]?.operations).toEqual([
      'prepare',
      'delete',
    ]);
    expect(commands.fromText('EXECUTE wipe')[0]?.operations).toEqual(['execute', 'delete']);
    expect(commands.fromText('EXECUTE unknown_name')[0]?.operations).toEqual(['execute']);
  });

  it('carries the session attributes on every command, one command per statement', () => {
    const commands = new SqlCommands(session).fromText('SELECT 1; DROP TABLE t');
    expect(commands.map((c) => c.operations[0])).toEqual(['select', 'ddl.drop']);
    expect(commands[1]).toMatchObject({
      connection: 'shop-db',
      protocol: 'postgres',
      attributes: { database: 'shop' },
      text: 'DROP TABLE t',
    });
  });
});

describe('ClassificationCache', () => {
  beforeAll(() => initSqlClassifier());

  it('serves repeated statements from the cache but never caches an EXECUTE, whose meaning depends on the session', () => {
    const cache = new ClassificationCache(16);
    const a = new SqlCommands(session, cache);
    a.fromText('SELECT 1');
    expect(cache.get('SELECT 1')?.[0]?.operations).toEqual(['select']);
    a.fromText('PREPARE p AS DELETE FROM orders');
    a.fromText('EXECUTE p');
    expect(cache.get('EXECUTE p')).toBeUndefined();
    // Another session with its own `p` is judged by its own PREPARE.
    const b = new SqlCommands(session, cache);
    b.fromText('PREPARE p AS SELECT 1');
    expect(b.fromText('EXECUTE p')[0]?.operations).toEqual(['execute', 'select']);
  });
});
