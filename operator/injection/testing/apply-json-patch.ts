/**
 * A strict RFC 6902 applier for tests (no JSON-patch library is a dependency). Strict the way the
 * API server's patcher is: `replace`/`remove` of a missing member fail, `add` needs an existing
 * parent, array indices must be in range and written canonically. A patch that only works on a
 * lenient applier therefore fails here, not in the cluster.
 */
import type { JsonPatchOperation } from '../json-patch.js';

export class JsonPatchError extends Error {
  override name = 'JsonPatchError';
}

/** Applies `patch` to a deep copy of `document` and returns the copy. */
export function applyJsonPatch<T>(document: T, patch: readonly JsonPatchOperation[]): T {
  let doc: unknown = structuredClone(document);
  patch.forEach((op, index) => {
    try {
      doc = applyOne(doc, op);
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      throw new JsonPatchError(`operation ${index} (${op.op} ${op.path}): ${why}`);
    }
  });
  return doc as T;
}

/** RFC 6901 §4: `~1` → `/`, then `~0` → `~`. */
export function parsePointer(path: string): string[] {
  if (path === '') return [];
  if (!path.startsWith('/')) throw new JsonPatchError(`pointer "${path}" does not start with /`);
  return path
    .slice(1)
    .split('/')
    .map((t) => {
      if (/~[^01]|~$/.test(t)) throw new JsonPatchError(`pointer token "${t}" has a bad escape`);
      return t.replaceAll('~1', '/').replaceAll('~0', '~');
    });
}

type Container = Record<string, unknown> | unknown[];

function applyOne(doc: unknown, op: JsonPatchOperation): unknown {
  switch (op.op) {
    case 'add':
      return add(doc, op.path, requireValue(op));
    case 'remove':
      return remove(doc, op.path).doc;
    case 'replace':
      remove(doc, op.path);
      return add(doc, op.path, requireValue(op), true);
    case 'move': {
      const from = requireFrom(op);
      if (op.path.startsWith(`${from}/`)) throw new JsonPatchError('cannot move a value into itself');
      const { doc: d, value } = remove(doc, from);
      return add(d, op.path, value);
    }
    case 'copy':
      return add(doc, op.path, structuredClone(get(doc, requireFrom(op))));
    case 'test':
      if (JSON.stringify(canonical(get(doc, op.path))) !== JSON.stringify(canonical(op.value)))
        throw new JsonPatchError('test failed');
      return doc;
  }
}

function requireValue(op: JsonPatchOperation): unknown {
  if (!('value' in op)) throw new JsonPatchError('missing value');
  return structuredClone(op.value);
}

function requireFrom(op: JsonPatchOperation): string {
  if (op.from === undefined) throw new JsonPatchError('missing from');
  return op.from;
}

function parentOf(doc: unknown, path: string): { parent: Container; key: string } | undefined {
  const tokens = parsePointer(path);
  const key = tokens.pop();
  if (key === undefined) return undefined;
  let node: unknown = doc;
  for (const t of tokens) node = child(node, t);
  if (node === null || typeof node !== 'object') throw new JsonPatchError('parent is not an object or array');
  return { parent: node as Container, key };
}

function child(node: unknown, token: string): unknown {
  if (Array.isArray(node)) {
    const i = arrayIndex(token, node.length - 1);
    return node[i];
  }
  if (node !== null && typeof node === 'object' && Object.hasOwn(node, token))
    return (node as Record<string, unknown>)[token];
  throw new JsonPatchError(`path does not exist at "${token}"`);
}

function arrayIndex(token: string, max: number): number {
  if (!/^(0|[1-9][0-9]*)$/.test(token)) throw new JsonPatchError(`"${token}" is not an array index`);
  const i = Number(token);
  if (i > max) throw new JsonPatchError(`index ${i} is out of range`);
  return i;
}

function get(doc: unknown, path: string): unknown {
  let node = doc;
  for (const t of parsePointer(path)) node = child(node, t);
  return node;
}

function add(doc: unknown, path: string, value: unknown, replacing = false): unknown {
  const at = parentOf(doc, path);
  if (at === undefined) return value;
  const { parent, key } = at;
  if (Array.isArray(parent)) {
    if (key === '-' && !replacing) parent.push(value);
    else parent.splice(arrayIndex(key, parent.length), 0, value);
  } else {
    parent[key] = value;
  }
  return doc;
}

function remove(doc: unknown, path: string): { doc: unknown; value: unknown } {
  const at = parentOf(doc, path);
  if (at === undefined) return { doc: undefined, value: doc };
  const { parent, key } = at;
  if (Array.isArray(parent)) {
    const i = arrayIndex(key, parent.length - 1);
    const [value] = parent.splice(i, 1);
    return { doc, value };
  }
  if (!Object.hasOwn(parent, key)) throw new JsonPatchError(`member "${key}" does not exist`);
  const value = parent[key];
  Reflect.deleteProperty(parent, key);
  return { doc, value };
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(
      Object.entries(value)
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([k, v]) => [k, canonical(v)]),
    );
  return value;
}
