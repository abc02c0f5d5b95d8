/**
 * The SQL classifier: PostgreSQL text -> Classifications, with the real PostgreSQL 18 grammar.
 * `await initSqlClassifier()` once at start-up, then call `classifySql` synchronously per message.
 */

export { classifySql, type SqlClassifyContext } from './classify-sql.js';
export { initSqlClassifier, sqlParserFaults } from './parser.js';
export type { PreparedStatements } from './sql-visitor.js';
export {
  SQL_OPERATIONS,
  functionOperation,
  type FixedSqlOperation,
  type SqlOperation,
  type SqlOperationInfo,
} from './operations.js';
export { DANGEROUS_FUNCTIONS, findDangerousFunction, type DangerousFunction } from './dangerous-functions.js';
export { STATEMENT_OPERATIONS } from './statement-operations.js';
