/**
 * Function calls, wherever they are (select lists, WHERE, FROM, defaults, CTEs, arguments of other
 * calls, CALL): a call of a listed dangerous or side-effecting function adds `function.<name>`.
 */

import type { FuncCall } from 'libpg-query';
import { constantString, nameParts } from './ast.js';
import { findDangerousFunction } from './dangerous-functions.js';
import { functionOperation } from './operations.js';
import type { SqlVisitor } from './sql-visitor.js';

const NAME_FIELD: ReadonlySet<string> = new Set(['funcname']);

/** Settings whose change through `set_config` is a change of identity. */
const IDENTITY_SETTINGS: Readonly<Record<string, string>> = {
  role: 'set.role',
  session_authorization: 'set.session_authorization',
};

export function visitFuncCall(v: SqlVisitor, call: FuncCall): void {
  const parts = nameParts(call.funcname);
  const name = parts[parts.length - 1]?.toLowerCase();
  if (name !== undefined && findDangerousFunction(parts)) {
    v.addOperation(functionOperation(name));
    // set_config('role', ...) is SET ROLE by another name; say so when the setting is a constant.
    if (name === 'set_config') {
      const setting = constantString(call.args?.[0])?.toLowerCase();
      const identity = setting === undefined ? undefined : IDENTITY_SETTINGS[setting];
      if (identity !== undefined) v.addOperation(identity);
    }
  }
  v.visitFields(call, NAME_FIELD);
}
