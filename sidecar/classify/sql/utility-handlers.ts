/**
 * Handlers for the utility statements whose operations depend on their contents: COPY, EXPLAIN,
 * PREPARE / EXECUTE, cursors, CALL, SET / RESET, DISCARD.
 */

import type {
  CallStmt,
  CopyStmt,
  DeclareCursorStmt,
  DefElem,
  DiscardStmt,
  ExecuteStmt,
  ExplainStmt,
  Node,
  PrepareStmt,
  VariableSetStmt,
} from 'libpg-query';
import { unwrap } from './ast.js';
import { visitFuncCall } from './function-call-handler.js';
import type { SqlVisitor } from './sql-visitor.js';

const COPY_OWN_PARTS: ReadonlySet<string> = new Set(['relation']);

/**
 * COPY TO reads its table (or runs its query); COPY FROM inserts into its table. PROGRAM runs a
 * shell command on the database server, a file name reads or writes the server's file system.
 */
export function visitCopyStmt(v: SqlVisitor, s: CopyStmt): void {
  v.addOperation(s.is_from ? 'copy.from' : 'copy.to');
  if (s.is_program) v.addOperation('copy.program');
  else if (s.filename !== undefined) v.addOperation('copy.file');
  if (s.is_from) v.addOperation('insert');
  if (s.relation) v.addRelation(s.relation, s.is_from ? 'write' : 'read', false);
  v.withMode('read', () => v.visitFields(s, COPY_OWN_PARTS)); // COPY (query) TO, COPY FROM ... WHERE
}

/** Spellings `parse_bool` reads as false; any other argument to ANALYZE may mean true. */
const FALSE_WORDS: ReadonlySet<string> = new Set([
  'f',
  'fa',
  'fal',
  'fals',
  'false',
  'n',
  'no',
  'of',
  'off',
  '0',
]);

function isExplicitlyFalse(arg: Node | undefined): boolean {
  if (arg === undefined) return false; // bare ANALYZE
  const word = unwrap(arg, 'String');
  if (word !== undefined) return FALSE_WORDS.has((word.sval ?? '').toLowerCase());
  const integer = unwrap(arg, 'Integer');
  if (integer !== undefined) return (integer.ival ?? 0) === 0;
  const boolean = unwrap(arg, 'Boolean');
  if (boolean !== undefined) return boolean.boolval !== true;
  return false;
}

/** True when EXPLAIN really runs its statement: ANALYZE given and not explicitly off. */
function explainExecutes(options: readonly Node[] | undefined): boolean {
  for (const option of options ?? []) {
    const d: DefElem | undefined = unwrap(option, 'DefElem');
    if (d?.defname?.toLowerCase() === 'analyze' && !isExplicitlyFalse(d.arg)) return true;
  }
  return false;
}

/**
 * EXPLAIN ANALYZE executes the statement, so its operations follow `explain`. Plain EXPLAIN only
 * plans it: the statement's relations are listed as reads and its operations are left out.
 */
export function visitExplainStmt(v: SqlVisitor, s: ExplainStmt): void {
  v.addOperation('explain');
  if (explainExecutes(s.options)) v.visit(s.query);
  else v.planOnly(() => v.visit(s.query));
}

/** PREPARE name AS stmt: the statement's operations, so a policy sees what will be executed. */
export function visitPrepareStmt(v: SqlVisitor, s: PrepareStmt): void {
  v.addOperation('prepare');
  v.visit(s.query);
}

/**
 * EXECUTE name: when the session told us what `name` is (the classifications of its statement,
 * keyed by the name as the parser gives it: unquoted names are lowercase), its operations and
 * resources follow. An unknown name is just `execute`, which a policy can treat as it sees fit.
 */
export function visitExecuteStmt(v: SqlVisitor, s: ExecuteStmt): void {
  v.addOperation('execute');
  const known = s.name === undefined ? undefined : v.prepared?.get(s.name);
  for (const classification of known ?? []) {
    for (const operation of classification.operations) v.addOperation(operation);
    for (const resource of classification.resources) v.addResource(resource);
  }
  v.withMode('read', () => v.visit(s.params));
}

/** DECLARE c CURSOR FOR query: a read, plus whatever its query does (FOR UPDATE, functions). */
export function visitDeclareCursorStmt(v: SqlVisitor, s: DeclareCursorStmt): void {
  v.addOperation('select');
  v.visit(s.query);
}

/** CALL proc(args): the procedure itself is checked against the dangerous-function list too. */
export function visitCallStmt(v: SqlVisitor, s: CallStmt): void {
  v.addOperation('call');
  if (s.funccall) visitFuncCall(v, s.funccall);
  v.visit(s.outargs);
}

/** Settings that are an identity: changing them changes whose privileges apply. */
const IDENTITY_SETTINGS: Readonly<Record<string, string>> = {
  role: 'set.role',
  session_authorization: 'set.session_authorization',
};

/**
 * SET / SET LOCAL / RESET. Setting names are case-insensitive in PostgreSQL (`SET "ROLE"` is SET
 * ROLE). RESET ROLE and RESET SESSION AUTHORIZATION change identity too, back to the login user.
 */
export function visitVariableSetStmt(v: SqlVisitor, s: VariableSetStmt): void {
  const identity = s.name === undefined ? undefined : IDENTITY_SETTINGS[s.name.toLowerCase()];
  if (s.kind === 'VAR_RESET' || s.kind === 'VAR_RESET_ALL') {
    v.addOperation('reset');
    if (identity !== undefined) v.addOperation(identity);
  } else {
    v.addOperation(identity ?? 'set');
  }
  v.visitFields(s);
}

/** DISCARD ALL includes SET SESSION AUTHORIZATION DEFAULT, which undoes any SET ROLE. */
export function visitDiscardStmt(v: SqlVisitor, s: DiscardStmt): void {
  v.addOperation('discard');
  if (s.target === 'DISCARD_ALL') v.addOperation('set.session_authorization');
}
