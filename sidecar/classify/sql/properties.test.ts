import fc from 'fast-check';
import { parseSync } from 'libpg-query';
import { beforeAll, describe, expect, it } from 'vitest';
import { UNPARSEABLE } from '../../core/command.js';
import { classifySql } from './classify-sql.js';
import { initSqlClassifier } from './parser.js';

beforeAll(async () => {
  await initSqlClassifier();
});

/** Pieces of SQL that matter to a lexer: keywords, quotes, comment markers, separators, escapes. */
// prettier-ignore
const TOKENS = [
  'SELECT', 'INSERT', 'INTO', 'VALUES', 'UPDATE', 'SET', 'DELETE', 'FROM', 'WHERE', 'WITH', 'AS', 'DROP', 'TABLE',
  'EXPLAIN', 'ANALYZE', 'COPY', 'TO', 'STDOUT', 'PROGRAM', 'DO', 'ROLE', 'FOR', 'UPDATE', 'RETURNING', 'UNION',
  't', 'customers', 'pg_read_file', 'dblink', 'set_config', '1', '$1', '*', ',', '.', '(', ')', ';', ';', '=', '+',
  "'", "''", '"', '$$', '$tag$', '/*', '*/', '--', '\n', ' ', ' ', 'E', "E'\\'", 'U&', "U&'\\0044'", 'U&"\\0074"',
  'UESCAPE', '\\', 'é', '日本', '😀', '\u00a0',
];
const tokenSoup = fc.array(fc.constantFrom(...TOKENS), { maxLength: 24 }).map((tokens) => tokens.join(''));
const spacedSoup = fc.array(fc.constantFrom(...TOKENS), { maxLength: 24 }).map((tokens) => tokens.join(' '));
const anyText = fc.oneof(
  fc.string({ unit: 'binary' }),
  fc.string({ unit: 'grapheme' }),
  tokenSoup,
  spacedSoup,
);

function parserThrows(text: string): boolean {
  try {
    parseSync(text);
    return false;
  } catch {
    return true;
  }
}

describe('properties', () => {
  it('never throws, and every classification has an operation and a text', () => {
    fc.assert(
      fc.property(anyText, (text) => {
        for (const c of classifySql(text)) {
          expect(c.operations.length).toBeGreaterThan(0);
          expect(c.text.length).toBeGreaterThan(0);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('text libpg-query rejects is exactly one unparseable classification', () => {
    fc.assert(
      fc.property(
        anyText.filter((text) => text !== ''),
        (text) => {
          fc.pre(parserThrows(text));
          const result = classifySql(text);
          expect(result).toHaveLength(1);
          expect(result[0]?.operations).toEqual([UNPARSEABLE]);
          expect(result[0]?.text).toBe(text);
          expect(result[0]?.resources).toEqual([]);
          expect(typeof result[0]?.attributes['parseError']).toBe('string');
        },
      ),
      { numRuns: 3000 },
    );
  });

  // Simple statements with identifiers and literals that contain ';', quotes and non-ASCII text.
  const noNul = (s: string) => !s.includes('\0');
  const ident = fc.oneof(
    fc.stringMatching(/^[a-z][a-z0-9_]{0,10}$/).map((w) => `t_${w}`),
    fc
      .string({ unit: 'grapheme', minLength: 1, maxLength: 8 })
      .filter(noNul)
      .map((s) => `"${s.replaceAll('"', '""')}"`),
  );
  const literal = fc.oneof(
    fc.integer().map(String),
    fc
      .string({ unit: 'grapheme', maxLength: 12 })
      .filter(noNul)
      .map((s) => `'${s.replaceAll("'", "''")}'`),
    fc
      .string({ unit: 'grapheme', maxLength: 12 })
      .filter((s) => noNul(s) && !s.includes('$'))
      .map((s) => `$q$${s}$q$`),
  );
  const statement = fc.oneof(
    fc
      .tuple(literal, ident, ident)
      .map(([l, a, t]) => ({ sql: `SELECT ${l} AS ${a} FROM ${t}`, operation: 'select' })),
    fc
      .tuple(ident, literal)
      .map(([t, l]) => ({ sql: `INSERT INTO ${t} VALUES (${l})`, operation: 'insert' })),
    fc.tuple(ident, literal).map(([t, l]) => ({ sql: `UPDATE ${t} SET c = ${l}`, operation: 'update' })),
    fc
      .tuple(ident, literal)
      .map(([t, l]) => ({ sql: `DELETE FROM ${t} WHERE c = ${l}`, operation: 'delete' })),
    ident.map((t) => ({ sql: `DROP TABLE ${t}`, operation: 'ddl.drop' })),
    fc
      .string({ unit: 'grapheme', maxLength: 12 })
      .filter(
        (s) => noNul(s) && !s.includes('*/') && !s.includes('/*') && !s.endsWith('*') && !s.endsWith('/'),
      )
      .map((s) => ({ sql: `SELECT 1 /*${s}*/`, operation: 'select' })),
  );
  const separator = fc.constantFrom(';', '; ', ';\n', ' ;\t', ';\n\n  ');

  it('splits N statements joined with ; into N classifications with their own text', () => {
    fc.assert(
      fc.property(fc.array(statement, { minLength: 1, maxLength: 6 }), separator, (statements, sep) => {
        const result = classifySql(statements.map((s) => s.sql).join(sep));
        expect(result.map((c) => c.text)).toEqual(statements.map((s) => s.sql));
        expect(result.map((c) => c.operations[0])).toEqual(statements.map((s) => s.operation));
      }),
      { numRuns: 1000 },
    );
  });
});
