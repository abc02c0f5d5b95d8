/**
 * Handlers for the DDL statements whose operation or relations are not plain from their node:
 * CREATE TABLE AS, DROP, COMMENT, RENAME, GRANT / REVOKE, CREATE TABLE ... (LIKE t).
 */

import type {
  AlterDefaultPrivilegesStmt,
  CommentStmt,
  CreateTableAsStmt,
  DropStmt,
  GrantRoleStmt,
  GrantStmt,
  ObjectType,
  RenameStmt,
  TableLikeClause,
} from 'libpg-query';
import { nameParts, unwrap } from './ast.js';
import type { SqlVisitor } from './sql-visitor.js';

/** Object types that are relations, whose names DROP and COMMENT give as name lists. */
const RELATION_OBJECT_TYPES: ReadonlySet<ObjectType> = new Set<ObjectType>([
  'OBJECT_TABLE',
  'OBJECT_VIEW',
  'OBJECT_MATVIEW',
  'OBJECT_SEQUENCE',
  'OBJECT_FOREIGN_TABLE',
  'OBJECT_INDEX',
]);

/** CREATE TABLE / MATERIALIZED VIEW ... AS query: creates its target and runs its query. */
export function visitCreateTableAsStmt(v: SqlVisitor, s: CreateTableAsStmt): void {
  v.addOperation('ddl.create');
  if (s.into?.rel) v.addRelation(s.into.rel, 'write', false);
  v.visit(s.query);
}

const OBJECTS: ReadonlySet<string> = new Set(['objects']);

/** DROP: the dropped relations are writes (names of other object kinds are not relations). */
export function visitDropStmt(v: SqlVisitor, s: DropStmt): void {
  v.addOperation('ddl.drop');
  if (s.removeType !== undefined && RELATION_OBJECT_TYPES.has(s.removeType)) {
    for (const object of s.objects ?? [])
      v.addRelationName(nameParts(unwrap(object, 'List')?.items), 'write');
  }
  v.visitFields(s, OBJECTS);
}

const OBJECT: ReadonlySet<string> = new Set(['object']);

/** COMMENT ON TABLE t / COLUMN t.c: the relation commented on is a write. */
export function visitCommentStmt(v: SqlVisitor, s: CommentStmt): void {
  v.addOperation('ddl.comment');
  const parts = nameParts(unwrap(s.object, 'List')?.items);
  if (s.objtype === 'OBJECT_COLUMN') v.addRelationName(parts.slice(0, -1), 'write');
  else if (s.objtype !== undefined && RELATION_OBJECT_TYPES.has(s.objtype)) v.addRelationName(parts, 'write');
  v.visitFields(s, OBJECT);
}

/** ALTER ... RENAME; renaming a role is a role change. */
export function visitRenameStmt(v: SqlVisitor, s: RenameStmt): void {
  v.addOperation(s.renameType === 'OBJECT_ROLE' ? 'ddl.role' : 'ddl.rename');
  v.visitFields(s);
}

/** GRANT / REVOKE privileges; the relations they name are writes (their ACL changes). */
export function visitGrantStmt(v: SqlVisitor, s: GrantStmt): void {
  v.addOperation(s.is_grant ? 'ddl.grant' : 'ddl.revoke');
  v.visitFields(s);
}

/** GRANT / REVOKE role membership. */
export function visitGrantRoleStmt(v: SqlVisitor, s: GrantRoleStmt): void {
  v.addOperation(s.is_grant ? 'ddl.grant' : 'ddl.revoke');
  v.visitFields(s);
}

/** ALTER DEFAULT PRIVILEGES ... GRANT / REVOKE: a grant or revoke for objects to come. */
export function visitAlterDefaultPrivilegesStmt(v: SqlVisitor, s: AlterDefaultPrivilegesStmt): void {
  v.addOperation(s.action?.is_grant ? 'ddl.grant' : 'ddl.revoke');
  v.visitFields(s);
}

/** CREATE TABLE t (LIKE u): `u` is only read for its definition. */
export function visitTableLikeClause(v: SqlVisitor, c: TableLikeClause): void {
  if (c.relation) v.addRelation(c.relation, 'read', false);
}
