/**
 * The visitor's dispatch table: node type -> handler, for the nodes whose meaning is more than
 * "the operation in STATEMENT_OPERATIONS, then walk the children". Every other node takes that
 * generic path, so adding a handler here never hides a nested node: handlers walk their own
 * children (`visitFields`) except the parts they have interpreted.
 */

import type { NodeBody, NodeTypeName } from './ast.js';
import {
  visitAlterDefaultPrivilegesStmt,
  visitCommentStmt,
  visitCreateTableAsStmt,
  visitDropStmt,
  visitGrantRoleStmt,
  visitGrantStmt,
  visitRenameStmt,
  visitTableLikeClause,
} from './ddl-handlers.js';
import { visitFuncCall } from './function-call-handler.js';
import {
  visitDeleteStmt,
  visitInsertStmt,
  visitMergeStmt,
  visitMergeWhenClause,
  visitRangeVar,
  visitSelectStmt,
  visitUpdateStmt,
} from './query-handlers.js';
import type { SqlVisitor } from './sql-visitor.js';
import {
  visitCallStmt,
  visitCopyStmt,
  visitDeclareCursorStmt,
  visitDiscardStmt,
  visitExecuteStmt,
  visitExplainStmt,
  visitPrepareStmt,
  visitVariableSetStmt,
} from './utility-handlers.js';

export type NodeHandlers = { readonly [K in NodeTypeName]?: (v: SqlVisitor, node: NodeBody<K>) => void };

export const NODE_HANDLERS: NodeHandlers = {
  // Rows.
  SelectStmt: (v, s) => visitSelectStmt(v, s),
  InsertStmt: visitInsertStmt,
  UpdateStmt: visitUpdateStmt,
  DeleteStmt: visitDeleteStmt,
  MergeStmt: visitMergeStmt,
  MergeWhenClause: visitMergeWhenClause,
  RangeVar: visitRangeVar,
  FuncCall: visitFuncCall,

  // Utility statements.
  CopyStmt: visitCopyStmt,
  ExplainStmt: visitExplainStmt,
  PrepareStmt: visitPrepareStmt,
  ExecuteStmt: visitExecuteStmt,
  DeclareCursorStmt: visitDeclareCursorStmt,
  CallStmt: visitCallStmt,
  VariableSetStmt: visitVariableSetStmt,
  DiscardStmt: visitDiscardStmt,

  // DDL.
  CreateTableAsStmt: visitCreateTableAsStmt,
  DropStmt: visitDropStmt,
  CommentStmt: visitCommentStmt,
  RenameStmt: visitRenameStmt,
  GrantStmt: visitGrantStmt,
  GrantRoleStmt: visitGrantRoleStmt,
  AlterDefaultPrivilegesStmt: visitAlterDefaultPrivilegesStmt,
  TableLikeClause: visitTableLikeClause,
};
