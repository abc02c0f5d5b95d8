/**
 * Handlers for the statements that read and write rows, and for the relations and CTEs inside them.
 *
 * Each statement records its own operation first, then walks its parts in order, so that a write
 * hidden in a read (a data-modifying CTE, SELECT INTO, FOR UPDATE) adds its own operation too. DML
 * targets are writes; everything else a query names (FROM, JOIN, USING, subqueries) is a read.
 */

import type {
  DeleteStmt,
  InsertStmt,
  MergeStmt,
  MergeWhenClause,
  RangeVar,
  SelectStmt,
  UpdateStmt,
  WithClause,
} from 'libpg-query';
import { unwrap } from './ast.js';
import type { SqlVisitor } from './sql-visitor.js';

/** SELECT's parts with their own meaning; the rest (target list, FROM, WHERE...) is walked as reads. */
const SELECT_OWN_PARTS: ReadonlySet<string> = new Set([
  'withClause',
  'intoClause',
  'larg',
  'rarg',
  'lockingClause',
]);

/**
 * SELECT, VALUES, TABLE and set operations. `SELECT ... INTO t` creates `t` (ddl.create); a locking
 * clause adds `lock` (its `OF` names are aliases of relations already in FROM, so it is not walked).
 * A bare VALUES list that is an INSERT's source is that INSERT's data, not a read.
 */
export function visitSelectStmt(v: SqlVisitor, s: SelectStmt, asInsertSource = false): void {
  if (s.intoClause) v.addOperation('ddl.create');
  const bareValues = s.valuesLists !== undefined && s.targetList === undefined;
  if (!(asInsertSource && bareValues)) v.addOperation('select');
  if (s.lockingClause !== undefined) v.addOperation('lock');
  const scope = v.beginScope('read');
  if (s.withClause) visitWithClause(v, s.withClause);
  if (s.intoClause?.rel) v.addRelation(s.intoClause.rel, 'write', false);
  if (s.larg) visitSelectStmt(v, s.larg);
  if (s.rarg) visitSelectStmt(v, s.rarg);
  v.visitFields(s, SELECT_OWN_PARTS);
  v.endScope(scope);
}

/**
 * WITH: declares the CTE names and walks their queries (which may be INSERT/UPDATE/DELETE/MERGE).
 * A non-recursive CTE sees only the CTEs before it — `WITH t AS (SELECT * FROM t)` reads the real
 * table `t` — while WITH RECURSIVE makes every name visible everywhere. Call inside a scope
 * ({@link SqlVisitor.beginScope}) so that the names end with the statement.
 */
export function visitWithClause(v: SqlVisitor, w: WithClause): void {
  const ctes = (w.ctes ?? []).map((node) => unwrap(node, 'CommonTableExpr'));
  if (w.recursive) for (const cte of ctes) v.declareCte(cte?.ctename);
  for (const [i, cte] of ctes.entries()) {
    if (cte === undefined) {
      v.visit(w.ctes?.[i]);
      continue;
    }
    v.visit(cte.ctequery);
    if (!w.recursive) v.declareCte(cte.ctename);
  }
}

/** Walks a DML statement: WITH in scope, the target as a write, every other part as reads. */
function visitDml(
  v: SqlVisitor,
  s: { withClause?: WithClause; relation?: RangeVar },
  walkRest: () => void,
): void {
  const scope = v.beginScope('read');
  if (s.withClause) visitWithClause(v, s.withClause);
  if (s.relation) v.addRelation(s.relation, 'write', false);
  walkRest();
  v.endScope(scope);
}

const DML_OWN_PARTS: ReadonlySet<string> = new Set(['withClause', 'relation']);
const INSERT_OWN_PARTS: ReadonlySet<string> = new Set(['withClause', 'relation', 'selectStmt']);

/** INSERT; ON CONFLICT DO UPDATE adds `update`. */
export function visitInsertStmt(v: SqlVisitor, s: InsertStmt): void {
  v.addOperation('insert');
  visitDml(v, s, () => {
    const source = unwrap(s.selectStmt, 'SelectStmt');
    if (source) visitSelectStmt(v, source, true);
    else v.visit(s.selectStmt);
    if (s.onConflictClause?.action === 'ONCONFLICT_UPDATE') v.addOperation('update');
    v.visitFields(s, INSERT_OWN_PARTS);
  });
}

export function visitUpdateStmt(v: SqlVisitor, s: UpdateStmt): void {
  v.addOperation('update');
  visitDml(v, s, () => v.visitFields(s, DML_OWN_PARTS));
}

export function visitDeleteStmt(v: SqlVisitor, s: DeleteStmt): void {
  v.addOperation('delete');
  visitDml(v, s, () => v.visitFields(s, DML_OWN_PARTS));
}

/** MERGE; each WHEN clause adds the row operation it performs (see {@link visitMergeWhenClause}). */
export function visitMergeStmt(v: SqlVisitor, s: MergeStmt): void {
  v.addOperation('merge');
  visitDml(v, s, () => v.visitFields(s, DML_OWN_PARTS));
}

const MERGE_ACTIONS: Readonly<Record<string, string>> = {
  CMD_INSERT: 'insert',
  CMD_UPDATE: 'update',
  CMD_DELETE: 'delete',
};

/** `WHEN MATCHED THEN DELETE` deletes rows: a policy on `delete` must see it. */
export function visitMergeWhenClause(v: SqlVisitor, c: MergeWhenClause): void {
  const operation = c.commandType === undefined ? undefined : MERGE_ACTIONS[c.commandType];
  if (operation !== undefined) v.addOperation(operation);
  v.visitFields(c);
}

/** A relation in a FROM list, JOIN, LOCK, TRUNCATE, GRANT...: accessed in the current mode. */
export function visitRangeVar(v: SqlVisitor, rv: RangeVar): void {
  v.addRelation(rv, v.currentMode);
}
