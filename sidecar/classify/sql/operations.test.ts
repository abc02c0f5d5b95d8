import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { classifySql } from './classify-sql.js';
import { DANGEROUS_FUNCTIONS } from './dangerous-functions.js';
import { SQL_OPERATIONS } from './operations.js';
import { initSqlClassifier } from './parser.js';
import { STATEMENT_OPERATIONS } from './statement-operations.js';

beforeAll(async () => {
  await initSqlClassifier();
});

const vocabulary = new Set<string>(SQL_OPERATIONS.map((o) => o.operation));
const docs = readFileSync(fileURLToPath(new URL('../../../docs/operations-sql.md', import.meta.url)), 'utf8');

describe('SQL_OPERATIONS', () => {
  it('has no duplicates', () => {
    expect(vocabulary.size).toBe(SQL_OPERATIONS.length);
  });

  it.each(SQL_OPERATIONS.map((o) => [o.operation, o.example] as const))(
    '%s: its example produces it',
    (operation, example) => {
      const [c] = classifySql(example);
      if (operation === 'function.<name>')
        expect(c?.operations.some((o) => o.startsWith('function.'))).toBe(true);
      else expect(c?.operations).toContain(operation);
    },
  );

  it('names every operation STATEMENT_OPERATIONS uses', () => {
    for (const operation of Object.values(STATEMENT_OPERATIONS)) expect(vocabulary).toContain(operation);
  });
});

describe('docs/operations-sql.md', () => {
  it.each([...vocabulary])('documents %s', (operation) => {
    expect(docs).toContain(`\`${operation}\``);
  });

  it.each(DANGEROUS_FUNCTIONS.map((f) => f.name))('lists the function %s', (name) => {
    expect(docs).toContain(`\`${name}\``);
  });
});
