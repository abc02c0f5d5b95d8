/**
 * Sets of code points as sorted, disjoint, inclusive ranges. The regex analyser only needs union,
 * complement and "do these overlap", so this stays tiny. Sets it cannot describe exactly (`\p{..}`,
 * `.`) are over-approximated by ANY, which only makes the analyser more conservative.
 */

export type CharSet = readonly (readonly [number, number])[];

export const MAX_CODE_POINT = 0x10ffff;
export const EMPTY: CharSet = [];
export const ANY: CharSet = [[0, MAX_CODE_POINT]];

/** The set holding exactly the given ranges (normalised). */
export function ranges(...rs: (readonly [number, number])[]): CharSet {
  return union(EMPTY, rs);
}

/** A set of single characters. */
export function chars(s: string): CharSet {
  return ranges(...[...s].map((c) => [c.codePointAt(0) as number, c.codePointAt(0) as number] as const));
}

export function union(a: CharSet, b: CharSet): CharSet {
  const all = [...a, ...b].sort((x, y) => x[0] - y[0]);
  const out: [number, number][] = [];
  for (const [lo, hi] of all) {
    const last = out[out.length - 1];
    if (last !== undefined && lo <= last[1] + 1) last[1] = Math.max(last[1], hi);
    else out.push([lo, hi]);
  }
  return out;
}

export function complement(a: CharSet): CharSet {
  const out: [number, number][] = [];
  let next = 0;
  for (const [lo, hi] of a) {
    if (lo > next) out.push([next, lo - 1]);
    next = hi + 1;
  }
  if (next <= MAX_CODE_POINT) out.push([next, MAX_CODE_POINT]);
  return out;
}

export function intersects(a: CharSet, b: CharSet): boolean {
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const [alo, ahi] = a[i] as readonly [number, number];
    const [blo, bhi] = b[j] as readonly [number, number];
    if (ahi < blo) i++;
    else if (bhi < alo) j++;
    else return true;
  }
  return false;
}

export const DIGIT: CharSet = ranges([48, 57]);
export const WORD: CharSet = ranges([48, 57], [65, 90], [95, 95], [97, 122]);
export const SPACE: CharSet = union(
  chars('\t\n\v\f\r \u00a0\u1680\u2028\u2029\u202f\u205f\u3000\ufeff'),
  ranges([0x2000, 0x200a]),
);
