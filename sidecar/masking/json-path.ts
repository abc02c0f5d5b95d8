/**
 * The JSONPath subset masking rules use to pick fields out of HTTP and Kubernetes bodies:
 * `$` (the whole document), `.name`, `['name']`/`["name"]`, `[3]`, `[*]`/`.*` (any child), and
 * `..name`/`..*` (at any depth below). Filters, slices, unions and script expressions are refused at
 * compile time: a selector must be obviously cheap and obviously correct.
 */

export interface PathSegment {
  /** `name`: an object key; `index`: an array index; `any`: any key or index. */
  readonly kind: 'name' | 'index' | 'any';
  readonly name?: string;
  readonly index?: number;
  /** `..`: the segment may match at any depth below the current node. */
  readonly recursive: boolean;
}

export type JsonPath = readonly PathSegment[];

/** Parses a path; returns an error message meant for a human on anything outside the subset. */
export function parseJsonPath(source: string): { ok: true; path: JsonPath } | { ok: false; error: string } {
  if (!source.startsWith('$')) return { ok: false, error: 'a JSONPath starts with $' };
  const segs: PathSegment[] = [];
  let i = 1;
  const fail = (what: string) => ({ ok: false as const, error: `${what} at position ${i} of ${source}` });
  while (i < source.length) {
    let recursive = false;
    if (source.startsWith('..', i)) {
      recursive = true;
      i += 2;
      if (source[i] === '[') {
        /* handled below */
      } else if (source[i] === '*') {
        segs.push({ kind: 'any', recursive });
        i++;
        continue;
      } else {
        const name = /^[^.[\]\s'"*?()@,:]+/.exec(source.slice(i))?.[0];
        if (name === undefined) return fail('expected a name after ..');
        segs.push({ kind: 'name', name, recursive });
        i += name.length;
        continue;
      }
    } else if (source[i] === '.') {
      i++;
      if (source[i] === '*') {
        segs.push({ kind: 'any', recursive });
        i++;
        continue;
      }
      const name = /^[^.[\]\s'"*?()@,:]+/.exec(source.slice(i))?.[0];
      if (name === undefined) return fail('expected a name after .');
      segs.push({ kind: 'name', name, recursive });
      i += name.length;
      continue;
    }
    if (source[i] !== '[') return fail('expected . or [');
    const rest = source.slice(i);
    const bracket =
      /^\[\*\]/.exec(rest) ??
      /^\[(\d{1,9})\]/.exec(rest) ??
      /^\['([^'\\]*)'\]/.exec(rest) ??
      /^\["([^"\\]*)"\]/.exec(rest);
    if (bracket === null) {
      if (rest.startsWith('[?')) return fail('filters are not supported');
      if (/^\[-?\d*:/.test(rest)) return fail('slices are not supported');
      if (/^\[[^\]]*,/.test(rest)) return fail('unions are not supported');
      return fail('unsupported bracket expression');
    }
    const token = bracket[0];
    if (token === '[*]') segs.push({ kind: 'any', recursive });
    else if (/^\[\d/.test(token)) segs.push({ kind: 'index', index: Number(bracket[1]), recursive });
    else segs.push({ kind: 'name', name: bracket[1] as string, recursive });
    i += token.length;
  }
  return { ok: true, path: segs };
}

/** Whether `seg` matches the child `key` (a string key of an object, a number index of an array). */
export function segmentMatches(seg: PathSegment, key: string | number): boolean {
  switch (seg.kind) {
    case 'any':
      return true;
    case 'name':
      return typeof key === 'string' && key === seg.name;
    case 'index':
      return typeof key === 'number' && key === seg.index;
  }
}
