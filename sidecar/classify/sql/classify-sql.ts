/**
 * SQL text -> one Classification per statement (DESIGN.md §4): the operations each statement
 * performs, including writes hidden in reads, and the relations it touches with their access mode.
 * Text the PostgreSQL grammar rejects is one `unparseable` classification, which policies deny.
 */

import type { RawStmt } from 'libpg-query';
import { UNPARSEABLE, type Classification } from '../../core/command.js';
import { OperationCollector } from './operation-collector.js';
import { parseSql } from './parser.js';
import { SqlVisitor, type PreparedStatements } from './sql-visitor.js';
import { statementSlicer } from './statement-text.js';

export interface SqlClassifyContext {
  /**
   * Prepared statements of the session, by name as the parser gives it (unquoted names are
   * lowercase), each with the classifications of its statement. Lets `EXECUTE name` carry what
   * `name` does instead of a bare `execute`.
   */
  prepared?: PreparedStatements;
}

/**
 * Classifies every statement in `text`. Empty, whitespace-only and comment-only text yields [].
 * Never throws for any input once {@link initSqlClassifier} has resolved (it throws before that,
 * which is a wiring bug, not a property of the input).
 */
export function classifySql(text: string, context?: SqlClassifyContext): Classification[] {
  if (text === '') return [];
  const parsed = parseSql(text);
  if (!parsed.ok) return [unparseable(text, parsed.error)];
  const statements = parsed.tree.stmts ?? [];
  if (statements.length === 0) return [];
  const slice = statementSlicer(text);
  return statements.map((raw) =>
    classifyStatement(raw, slice(raw.stmt_location ?? 0, raw.stmt_len), context),
  );
}

function classifyStatement(
  raw: RawStmt,
  text: string,
  context: SqlClassifyContext | undefined,
): Classification {
  const out = new OperationCollector();
  try {
    new SqlVisitor(out, context?.prepared).visitStatement(raw.stmt);
  } catch (error) {
    // A tree too deep for the walk's stack: fail closed rather than guess.
    return unparseable(text, `cannot classify: ${error instanceof Error ? error.message : String(error)}`);
  }
  const { operations, resources } = out.result();
  // The adapter remembers what `PREPARE name` runs, so a later `EXECUTE name` is judged as that.
  const preparedName = (raw.stmt as { PrepareStmt?: { name?: string } }).PrepareStmt?.name;
  return { operations, resources, text, attributes: preparedName ? { preparedName } : {} };
}

function unparseable(text: string, parseError: string): Classification {
  return { operations: [UNPARSEABLE], resources: [], text, attributes: { parseError } };
}
