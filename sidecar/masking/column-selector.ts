/**
 * Column selectors: `email` masks a column named email in any table; `customers.email` only when
 * the adapter knows the column comes from table `customers`; `public.customers.email` only from that
 * schema's table. Names compare case-insensitively (PostgreSQL folds unquoted identifiers; masking a
 * quoted "Email" too is the safe side). A selector with an unqualified table matches that table in
 * any schema; a qualified one matches an unqualified table of the same name (the schema is unknown,
 * so we mask).
 */

export interface ColumnSelector {
  readonly column: string;
  readonly table?: { readonly schema?: string; readonly name: string };
}

export interface ResultColumn {
  name: string;
  /** `table` or `schema.table`, when the adapter knows where the column comes from. */
  table?: string;
}

/** Parses `column`, `table.column` or `schema.table.column`. */
export function parseColumnSelector(
  source: string,
): { ok: true; selector: ColumnSelector } | { ok: false; error: string } {
  const parts = source.toLowerCase().split('.');
  if (parts.some((p) => p === '') || parts.length > 3) {
    return { ok: false, error: `"${source}" is not column, table.column or schema.table.column` };
  }
  const column = parts[parts.length - 1] as string;
  if (parts.length === 1) return { ok: true, selector: { column } };
  const name = parts[parts.length - 2] as string;
  const schema = parts.length === 3 ? parts[0] : undefined;
  return { ok: true, selector: { column, table: schema !== undefined ? { schema, name } : { name } } };
}

/** Whether a result column is selected. */
export function columnMatches(selector: ColumnSelector, column: ResultColumn): boolean {
  if (column.name.toLowerCase() !== selector.column) return false;
  if (selector.table === undefined) return true;
  if (column.table === undefined || column.table === '') return false;
  const parts = column.table.toLowerCase().split('.');
  const name = parts[parts.length - 1];
  const schema = parts.length > 1 ? parts[parts.length - 2] : undefined;
  if (name !== selector.table.name) return false;
  return selector.table.schema === undefined || schema === undefined || schema === selector.table.schema;
}
