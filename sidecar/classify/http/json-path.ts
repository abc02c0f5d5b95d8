/**
 * The small JSONPath subset a policy needs to pick fields out of a request body: `$.user.role`,
 * `$.items[0].id`, `$['odd key']` (RFC 9535 name and index selectors, no wildcards, slices or
 * filters, so every path names at most one value).
 */

export type JsonPathSegment = string | number;

const cache = new Map<string, JsonPathSegment[] | string>();

function compile(path: string): JsonPathSegment[] | string {
  if (!path.startsWith('$')) return `"${path}" does not start with "$"`;
  const segments: JsonPathSegment[] = [];
  let i = 1;
  while (i < path.length) {
    if (path[i] === '.') {
      const m = /^[A-Za-z_$][A-Za-z0-9_$-]*/.exec(path.slice(i + 1));
      if (!m) return `"${path}": expected a name after "." at ${i}`;
      segments.push(m[0]);
      i += 1 + m[0].length;
    } else if (path[i] === '[') {
      const rest = path.slice(i);
      const index = /^\[(0|[1-9][0-9]{0,8})\]/.exec(rest);
      const quoted = /^\[(?:'([^'\\]*)'|"([^"\\]*)")\]/.exec(rest);
      if (index) {
        segments.push(Number(index[1]));
        i += index[0].length;
      } else if (quoted) {
        segments.push((quoted[1] ?? quoted[2]) as string);
        i += quoted[0].length;
      } else {
        return `"${path}": expected [index] or ['name'] at ${i}`;
      }
    } else {
      return `"${path}": unexpected "${path[i]}" at ${i}`;
    }
  }
  return segments;
}

/** The segments of a JSONPath, or why it is not one this subset accepts. Compiled once. */
export function compileJsonPath(path: string): JsonPathSegment[] | string {
  let compiled = cache.get(path);
  if (compiled === undefined) {
    compiled = compile(path);
    if (cache.size < 1024) cache.set(path, compiled);
  }
  return compiled;
}

/** The value at `segments` in `document`, or `undefined` when any step is missing. */
export function selectJson(document: unknown, segments: readonly JsonPathSegment[]): unknown {
  let value = document;
  for (const segment of segments) {
    if (typeof segment === 'number') {
      if (!Array.isArray(value) || segment >= value.length) return undefined;
      value = value[segment];
    } else {
      if (
        typeof value !== 'object' ||
        value === null ||
        Array.isArray(value) ||
        !Object.hasOwn(value, segment)
      )
        return undefined;
      value = (value as Record<string, unknown>)[segment];
    }
  }
  return value;
}
