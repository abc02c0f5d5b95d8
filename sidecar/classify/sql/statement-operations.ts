/**
 * Which operation each statement node of the PostgreSQL 18 grammar carries, as data.
 *
 * This is the first operation of a statement of that type. The statement handlers (see
 * node-handlers.ts) refine the few that depend on their contents — SET ROLE vs SET, GRANT vs
 * REVOKE, COPY TO vs FROM, EXPLAIN vs EXPLAIN ANALYZE — and add what nested parts do. The table
 * must name every statement type of the grammar's node list (the type checker enforces it, so a
 * libpg-query upgrade that brings a new statement fails the build), and a statement type it does
 * not know at run time is classified `other`, never `select`.
 */

import type { NodeTypeName } from './ast.js';
import type { FixedSqlOperation } from './operations.js';

/** Node types named `...Stmt` that are parts of other statements (see {@link STATEMENT_PARTS}). */
type StatementPart = 'RawStmt' | 'ReturnStmt' | 'PLAssignStmt' | 'SetOperationStmt';

/** Every statement node type of the grammar: the table below must name each one (checked by tsc). */
export type StatementNodeType = Exclude<Extract<NodeTypeName, `${string}Stmt`>, StatementPart>;

export const STATEMENT_OPERATIONS: { readonly [K in StatementNodeType]: FixedSqlOperation } = {
  // Reads and writes of rows.
  SelectStmt: 'select',
  InsertStmt: 'insert',
  UpdateStmt: 'update',
  DeleteStmt: 'delete',
  MergeStmt: 'merge',
  DeclareCursorStmt: 'select',
  FetchStmt: 'select', // FETCH and MOVE
  ClosePortalStmt: 'select',

  // Creating objects.
  CreateStmt: 'ddl.create',
  CreateTableAsStmt: 'ddl.create',
  CreateSchemaStmt: 'ddl.create',
  ViewStmt: 'ddl.create',
  IndexStmt: 'ddl.create',
  CreateSeqStmt: 'ddl.create',
  CreateFunctionStmt: 'ddl.create',
  CreateTrigStmt: 'ddl.create',
  CreateEventTrigStmt: 'ddl.create',
  RuleStmt: 'ddl.create',
  CreatePolicyStmt: 'ddl.create',
  CreateStatsStmt: 'ddl.create',
  CreateExtensionStmt: 'ddl.create',
  CreateTableSpaceStmt: 'ddl.create',
  CreatedbStmt: 'ddl.create',
  CreateDomainStmt: 'ddl.create',
  CompositeTypeStmt: 'ddl.create',
  CreateEnumStmt: 'ddl.create',
  CreateRangeStmt: 'ddl.create',
  DefineStmt: 'ddl.create', // CREATE AGGREGATE / OPERATOR / TYPE / COLLATION / TEXT SEARCH ...
  CreateOpClassStmt: 'ddl.create',
  CreateOpFamilyStmt: 'ddl.create',
  CreateAmStmt: 'ddl.create',
  CreatePLangStmt: 'ddl.create',
  CreateConversionStmt: 'ddl.create',
  CreateCastStmt: 'ddl.create',
  CreateTransformStmt: 'ddl.create',
  CreateFdwStmt: 'ddl.create',
  CreateForeignServerStmt: 'ddl.create',
  CreateForeignTableStmt: 'ddl.create',
  CreateUserMappingStmt: 'ddl.create',
  ImportForeignSchemaStmt: 'ddl.create',
  CreatePublicationStmt: 'ddl.create',
  CreateSubscriptionStmt: 'ddl.create',

  // Changing object definitions.
  AlterTableStmt: 'ddl.alter',
  AlterTableMoveAllStmt: 'ddl.alter',
  AlterTableSpaceOptionsStmt: 'ddl.alter',
  AlterDomainStmt: 'ddl.alter',
  AlterCollationStmt: 'ddl.alter',
  AlterSeqStmt: 'ddl.alter',
  AlterFunctionStmt: 'ddl.alter',
  AlterTypeStmt: 'ddl.alter',
  AlterEnumStmt: 'ddl.alter',
  AlterOperatorStmt: 'ddl.alter',
  AlterOpFamilyStmt: 'ddl.alter',
  AlterStatsStmt: 'ddl.alter',
  AlterPolicyStmt: 'ddl.alter',
  AlterEventTrigStmt: 'ddl.alter',
  AlterExtensionStmt: 'ddl.alter',
  AlterExtensionContentsStmt: 'ddl.alter',
  AlterFdwStmt: 'ddl.alter',
  AlterForeignServerStmt: 'ddl.alter',
  AlterUserMappingStmt: 'ddl.alter',
  AlterObjectDependsStmt: 'ddl.alter',
  AlterObjectSchemaStmt: 'ddl.alter',
  AlterOwnerStmt: 'ddl.alter',
  AlterDatabaseStmt: 'ddl.alter',
  AlterDatabaseSetStmt: 'ddl.alter',
  AlterDatabaseRefreshCollStmt: 'ddl.alter',
  AlterTSDictionaryStmt: 'ddl.alter',
  AlterTSConfigurationStmt: 'ddl.alter',
  AlterPublicationStmt: 'ddl.alter',
  AlterSubscriptionStmt: 'ddl.alter',
  ReplicaIdentityStmt: 'ddl.alter',
  SecLabelStmt: 'ddl.alter',
  ReassignOwnedStmt: 'ddl.alter',

  // Dropping, emptying, renaming, commenting.
  DropStmt: 'ddl.drop',
  DropdbStmt: 'ddl.drop',
  DropTableSpaceStmt: 'ddl.drop',
  DropUserMappingStmt: 'ddl.drop',
  DropSubscriptionStmt: 'ddl.drop',
  DropOwnedStmt: 'ddl.drop',
  TruncateStmt: 'ddl.truncate',
  RenameStmt: 'ddl.rename', // ALTER ROLE ... RENAME is ddl.role
  CommentStmt: 'ddl.comment',

  // Privileges and roles.
  GrantStmt: 'ddl.grant', // REVOKE is ddl.revoke
  GrantRoleStmt: 'ddl.grant', // REVOKE role is ddl.revoke
  AlterDefaultPrivilegesStmt: 'ddl.grant', // ... REVOKE is ddl.revoke
  CreateRoleStmt: 'ddl.role',
  AlterRoleStmt: 'ddl.role',
  AlterRoleSetStmt: 'ddl.role',
  DropRoleStmt: 'ddl.role',

  // COPY, EXPLAIN, settings.
  CopyStmt: 'copy.to', // COPY FROM is copy.from
  ExplainStmt: 'explain',
  VariableShowStmt: 'show',
  VariableSetStmt: 'set', // SET ROLE, SET SESSION AUTHORIZATION, RESET are refined
  ConstraintsSetStmt: 'set',
  AlterSystemStmt: 'alter.system',

  // Sessions and procedural code.
  TransactionStmt: 'transaction',
  PrepareStmt: 'prepare',
  ExecuteStmt: 'execute',
  DeallocateStmt: 'deallocate',
  DoStmt: 'do',
  CallStmt: 'call',
  ListenStmt: 'listen',
  UnlistenStmt: 'listen',
  NotifyStmt: 'notify',
  LockStmt: 'lock',
  DiscardStmt: 'discard',

  // Maintenance.
  VacuumStmt: 'maintenance', // VACUUM and ANALYZE
  ClusterStmt: 'maintenance',
  ReindexStmt: 'maintenance',
  CheckPointStmt: 'maintenance',
  RefreshMatViewStmt: 'maintenance',

  // Accepted by the grammar, no specific operation.
  LoadStmt: 'other',
};

/**
 * Node types named `...Stmt` that are parts of another statement, not statements: `RETURN expr` in
 * a SQL-standard function body, PL/pgSQL assignments, analysed set operations. They carry no
 * operation of their own; any other unknown `...Stmt` nested in a statement adds `other`.
 */
export const STATEMENT_PARTS: ReadonlySet<string> = new Set<StatementPart>([
  'ReturnStmt',
  'PLAssignStmt',
  'SetOperationStmt',
  'RawStmt',
]);

/** The operation of a statement node type, or undefined when `type` is not a statement. */
export function statementOperation(type: string): FixedSqlOperation | undefined {
  return Object.hasOwn(STATEMENT_OPERATIONS, type)
    ? STATEMENT_OPERATIONS[type as StatementNodeType]
    : undefined;
}
