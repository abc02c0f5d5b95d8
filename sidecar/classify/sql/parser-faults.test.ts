/**
 * Its own file: the deep input here really exhausts the stack inside the WASM parser, which
 * libpg-query does not fully recover from (see sqlParserFaults), so no other test shares its parser.
 */

import { beforeAll, expect, it } from 'vitest';
import { UNPARSEABLE } from '../../core/command.js';
import { classifySql } from './classify-sql.js';
import { initSqlClassifier, sqlParserFaults } from './parser.js';

beforeAll(async () => {
  await initSqlClassifier();
});

it('is idempotent to initialise', async () => {
  const first = initSqlClassifier();
  expect(initSqlClassifier()).toBe(first);
  await first;
});

it('fails closed on a tree too deep to parse or walk, and keeps working', () => {
  expect(sqlParserFaults()).toBe(0);
  const deep = `SELECT ${'(SELECT '.repeat(3000)}1${')'.repeat(3000)}; DROP TABLE t`;
  const result = classifySql(deep);
  expect(result).toHaveLength(1);
  expect(result[0]?.operations).toEqual([UNPARSEABLE]);
  expect(String(result[0]?.attributes['parseError'])).toMatch(/stack|memory exhausted/);

  expect(classifySql('DELETE FROM t')[0]?.operations).toEqual(['delete']);
});

it('keeps long flat expression chains (no recursion in the generic walk)', () => {
  const chain = `SELECT ${Array.from({ length: 3000 }, () => 'a').join(' + ')} FROM t WHERE pg_read_file('x') = ''`;
  expect(classifySql(chain)[0]?.operations).toEqual(['select', 'function.pg_read_file']);
  const union = Array.from({ length: 2000 }, (_, i) => `SELECT ${i} FROM t${i % 3}`).join(' UNION ALL ');
  expect(classifySql(union)[0]?.resources).toEqual(['t0', 'read:t0', 't1', 'read:t1', 't2', 'read:t2']);
});
