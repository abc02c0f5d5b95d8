import { describe, expect, it } from 'vitest';
import { OperationCollector } from './operation-collector.js';
import { SqlVisitor } from './sql-visitor.js';

/** Classifies a hand-built tree, as a future grammar might produce it. */
function walk(tree: unknown) {
  const out = new OperationCollector();
  new SqlVisitor(out, undefined).visitStatement(tree);
  return out.result();
}

describe('statements the classifier does not know', () => {
  it('calls an unknown statement type `other`, never `select`', () => {
    expect(walk({ FutureStmt: {} }).operations).toEqual(['other']);
    expect(
      walk({ FutureStmt: { query: { SelectStmt: { fromClause: [{ RangeVar: { relname: 't' } }] } } } }),
    ).toEqual({
      operations: ['other', 'select'],
      resources: ['t', 'read:t'],
    });
  });

  it('adds `other` for an unknown statement nested in a known one', () => {
    expect(walk({ CreateSchemaStmt: { schemaElts: [{ FutureStmt: {} }] } }).operations).toEqual([
      'ddl.create',
      'other',
    ]);
  });

  it('calls anything that is not a statement node `other`', () => {
    expect(walk({ A_Const: { ival: { ival: 1 } } }).operations).toEqual(['other']);
    expect(walk(undefined).operations).toEqual(['other']);
    expect(walk({ not: 'a node', relname: 5 }).operations).toEqual(['other']);
  });

  it('still finds relations and calls inside unknown nodes, relations as writes', () => {
    expect(
      walk({
        FutureStmt: {
          target: { relname: 'x', schemaname: 'S' },
          expr: { FuncCall: { funcname: [{ String: { sval: 'pg_read_file' } }] } },
        },
      }),
    ).toEqual({ operations: ['other', 'function.pg_read_file'], resources: ['s.x', 'write:s.x'] });
  });
});
