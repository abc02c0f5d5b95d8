/**
 * The walk over one statement's tree: one pass, explicit handlers for the nodes that mean something
 * (statements, relations, function calls, CTEs), and a generic descent through everything else so
 * that a write or a dangerous call nested anywhere — a subquery in a DEFAULT, a CTE three levels
 * down, a function argument — is still met.
 *
 * The visitor carries the two pieces of context the handlers need: the access mode a bare relation
 * is in (a FROM is a read, a DDL target a write), and the CTE names in scope (`FROM d` where `d` is a
 * CTE is not a relation).
 */

import type { RangeVar } from 'libpg-query';
import type { Classification } from '../../core/command.js';
import { relationName, wrappedNodeType, type AstObject } from './ast.js';
import { NODE_HANDLERS, type NodeHandlers } from './node-handlers.js';
import type { AccessMode, OperationCollector } from './operation-collector.js';
import { STATEMENT_PARTS, statementOperation } from './statement-operations.js';

export type PreparedStatements = ReadonlyMap<string, readonly Classification[]>;

/** What {@link SqlVisitor.endScope} restores. */
export interface ScopeMark {
  readonly mode: AccessMode;
  readonly cteDepth: number;
}

export class SqlVisitor {
  /**
   * How a relation met by the generic descent is accessed. Statements start as writes (a DDL or
   * maintenance target); the query handlers switch their parts to reads.
   */
  private mode: AccessMode = 'write';
  /** CTE names visible at this point of the walk, innermost last. */
  private readonly ctes: string[] = [];

  constructor(
    private readonly out: OperationCollector,
    /** What the session knows about prepared statements, for EXECUTE. */
    readonly prepared: PreparedStatements | undefined,
  ) {}

  /** Classifies a top-level statement node. Unknown statement types are `other`, never `select`. */
  visitStatement(node: unknown): void {
    const type = node !== null && typeof node === 'object' ? wrappedNodeType(node as AstObject) : undefined;
    if (type === undefined || statementOperation(type) === undefined) this.out.addOperation('other');
    this.visit(node);
    if (this.out.operationCount === 0) this.out.addOperation('other');
  }

  /** Visits any value of the tree: a wrapped node, a list, a bare node body, or a scalar (ignored). */
  visit(value: unknown): void {
    this.drain([value]);
  }

  /** Visits every field of `node` in order, except those in `skip` (which a handler has dealt with). */
  visitFields(node: object, skip?: ReadonlySet<string>): void {
    const pending: unknown[] = [];
    pushFields(pending, node as AstObject, skip);
    this.drain(pending);
  }

  /**
   * The walk proper. Nodes without a handler are expanded on an explicit stack rather than by
   * recursion, so a long expression chain (`a + a + ... + a`, thousands of terms) costs no call
   * stack; only handlers (statements, function calls) recurse. Values are taken from the end of
   * `pending`, which therefore holds them in reverse order of appearance.
   */
  private drain(pending: unknown[]): void {
    while (pending.length > 0) {
      const value = pending.pop();
      if (value === null || typeof value !== 'object') continue;
      if (Array.isArray(value)) {
        for (let i = value.length - 1; i >= 0; i--) pending.push(value[i]);
        continue;
      }
      const object = value as AstObject;
      const type = wrappedNodeType(object);
      if (type === undefined) {
        // A bare RangeVar sits in fields typed RangeVar (DDL targets, VACUUM relations...).
        if (typeof object['relname'] === 'string') this.addRelation(object as RangeVar, this.mode);
        else pushFields(pending, object);
        continue;
      }
      const body = object[type] as AstObject;
      const handler = NODE_HANDLERS[type as keyof NodeHandlers] as
        ((v: SqlVisitor, node: AstObject) => void) | undefined;
      if (handler !== undefined) {
        handler(this, body);
        continue;
      }
      const operation = statementOperation(type);
      if (operation !== undefined) this.out.addOperation(operation);
      else if (type.endsWith('Stmt') && !STATEMENT_PARTS.has(type)) this.out.addOperation('other');
      pushFields(pending, body);
    }
  }

  /** Runs `walk` with relations met by the generic descent counted as `mode`. */
  withMode(mode: AccessMode, walk: () => void): void {
    const saved = this.mode;
    this.mode = mode;
    walk();
    this.mode = saved;
  }

  get currentMode(): AccessMode {
    return this.mode;
  }

  /**
   * Opens the scope of a (sub)query: relations met are counted as `mode`, and CTEs it declares are
   * visible until {@link endScope}. Not a callback like {@link withMode}, so that a chain of
   * thousands of UNIONs costs one stack frame per branch.
   */
  beginScope(mode: AccessMode): ScopeMark {
    const mark: ScopeMark = { mode: this.mode, cteDepth: this.ctes.length };
    this.mode = mode;
    return mark;
  }

  endScope(mark: ScopeMark): void {
    this.mode = mark.mode;
    this.ctes.length = mark.cteDepth;
  }

  declareCte(name: string | undefined): void {
    if (name !== undefined) this.ctes.push(name);
  }

  /** Plain EXPLAIN: see {@link OperationCollector.planOnly}. */
  planOnly(walk: () => void): void {
    this.out.planOnly(walk);
  }

  addOperation(operation: string): void {
    this.out.addOperation(operation);
  }

  /**
   * Records a relation. With `resolveCtes`, an unqualified name that is a CTE in scope is not a
   * relation; targets of INSERT/UPDATE/DELETE/MERGE/COPY and DDL are always real tables.
   */
  addRelation(relation: RangeVar, mode: AccessMode, resolveCtes = true): void {
    if (
      resolveCtes &&
      relation.schemaname === undefined &&
      relation.catalogname === undefined &&
      relation.relname !== undefined &&
      this.ctes.includes(relation.relname)
    ) {
      return;
    }
    const name = relationName(relation);
    if (name !== undefined) this.out.addRelation(name, mode);
  }

  /** Records a relation known only by its name parts (DROP TABLE, COMMENT ON TABLE). */
  addRelationName(parts: readonly string[], mode: AccessMode): void {
    if (parts.length > 0) this.out.addRelation(parts.join('.').toLowerCase(), mode);
  }

  /** Records an already formatted resource, e.g. one of a prepared statement's. */
  addResource(resource: string): void {
    this.out.addResource(resource);
  }
}

/** Pushes the object-valued fields of `node` onto `pending` so that they pop in field order. */
function pushFields(pending: unknown[], node: AstObject, skip?: ReadonlySet<string>): void {
  const start = pending.length;
  for (const key in node) {
    const child = node[key];
    if (child !== null && typeof child === 'object' && !skip?.has(key)) pending.push(child);
  }
  for (let i = start, j = pending.length - 1; i < j; i++, j--) {
    const swap = pending[i];
    pending[i] = pending[j];
    pending[j] = swap;
  }
}
