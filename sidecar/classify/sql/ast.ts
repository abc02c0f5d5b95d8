/**
 * Small readers over the libpg_query JSON tree, so the handlers talk about names and constants
 * instead of protobuf wrapper shapes.
 *
 * In that tree a field typed `Node` holds a wrapped node (`{ "RangeVar": { ... } }`: one key, the
 * type name, which starts with an upper-case letter), while a field typed with a concrete node type
 * holds the bare body (`"relation": { "relname": ... }`). Fields at their default value (false, 0,
 * "", empty list) are omitted.
 */

import type { Node, RangeVar } from 'libpg-query';

/** A node body or any other object of the tree, field by field. */
export type AstObject = Record<string, unknown>;

/** Every node type name the grammar can produce (`SelectStmt`, `RangeVar`, `FuncCall`...). */
export type NodeTypeName = Node extends infer U ? (U extends unknown ? keyof U : never) : never;

/** The body type of a wrapped node of type `K`. */
export type NodeBody<K extends NodeTypeName> = Extract<Node, Record<K, unknown>>[K];

/** The type name when `value` is a wrapped node, otherwise undefined. */
export function wrappedNodeType(value: AstObject): string | undefined {
  let only: string | undefined;
  for (const key in value) {
    if (only !== undefined) return undefined;
    only = key;
  }
  if (only === undefined) return undefined;
  const first = only.charCodeAt(0);
  return first >= 65 && first <= 90 ? only : undefined; // 'A'..'Z'
}

/** The body of `node` when it is a wrapped node of type `type`. */
export function unwrap<K extends NodeTypeName>(node: unknown, type: K): NodeBody<K> | undefined {
  if (node === null || typeof node !== 'object') return undefined;
  return (node as Partial<Record<K, NodeBody<K>>>)[type];
}

/** The strings of a name list (`[{String: {sval: 'pg_catalog'}}, {String: {sval: 'f'}}]`). */
export function nameParts(list: readonly Node[] | undefined): string[] {
  const parts: string[] = [];
  for (const item of list ?? []) {
    const s = unwrap(item, 'String');
    if (s !== undefined) parts.push(s.sval ?? '');
  }
  return parts;
}

/** A relation as the user wrote it, lowercase, qualified only when written qualified. */
export function relationName(rv: RangeVar): string | undefined {
  if (rv.relname === undefined) return undefined;
  let name = rv.relname;
  if (rv.schemaname !== undefined) name = `${rv.schemaname}.${name}`;
  if (rv.catalogname !== undefined) name = `${rv.catalogname}.${name}`;
  return name.toLowerCase();
}

/** The value of a string constant (`'role'`), or undefined for anything else. */
export function constantString(node: Node | undefined): string | undefined {
  const value = unwrap(node, 'A_Const');
  return value?.sval === undefined ? undefined : (value.sval.sval ?? '');
}
