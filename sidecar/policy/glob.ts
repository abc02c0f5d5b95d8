/**
 * Globs for rule matches: `*` matches any run of characters (including none and including
 * newlines), `?` exactly one character (one UTF-16 unit), everything else is literal. There is no
 * escaping and no character class, so a policy author can never write a regular expression here.
 *
 * The matcher is hand-written rather than compiled to a RegExp: the text it runs against comes from
 * the agent, and a backtracking RegExp for `*a*a*a*b` would be polynomial in that text. This one is
 * the classic single-backtrack-point wildcard algorithm: O(pattern × text) worst case, no
 * allocation per call.
 */

/** A compiled glob. `test` never allocates. */
export interface Glob {
  /** The glob as written in the policy. */
  readonly source: string;
  /** True when the glob has no `*` or `?`: it can only match its own text. */
  readonly literal: boolean;
  test(value: string): boolean;
}

/**
 * Compiles a glob once. `caseInsensitive` folds both sides with `toLowerCase`; callers that test
 * one value against many case-insensitive globs should fold the value once and call `testFolded`.
 */
export function compileGlob(
  source: string,
  options: { caseInsensitive?: boolean } = {},
): Glob & {
  /** Like `test`, for a value the caller already lower-cased (case-insensitive globs only). */
  testFolded(foldedValue: string): boolean;
} {
  const ci = options.caseInsensitive === true;
  const pattern = ci ? source.toLowerCase() : source;
  const hasStar = pattern.includes('*');
  const hasQuestion = pattern.includes('?');
  const literal = !hasStar && !hasQuestion;

  let folded: (v: string) => boolean;
  if (literal) {
    folded = (v) => v === pattern;
  } else if (pattern === '*') {
    folded = () => true;
  } else if (!hasQuestion && pattern.indexOf('*') === pattern.length - 1) {
    const prefix = pattern.slice(0, -1);
    folded = (v) => v.startsWith(prefix);
  } else if (!hasQuestion && pattern.lastIndexOf('*') === 0) {
    const suffix = pattern.slice(1);
    folded = (v) => v.endsWith(suffix);
  } else {
    folded = (v) => wildcardMatch(pattern, v);
  }
  return {
    source,
    literal,
    test: ci ? (v) => folded(v.toLowerCase()) : folded,
    testFolded: folded,
  };
}

/** Iterative wildcard match with one backtrack point (the last `*` seen). */
function wildcardMatch(p: string, s: string): boolean {
  let pi = 0;
  let si = 0;
  let star = -1;
  let mark = 0;
  const pl = p.length;
  const sl = s.length;
  while (si < sl) {
    const pc = pi < pl ? p.charCodeAt(pi) : -1;
    if (pc === 42 /* * */) {
      star = pi++;
      mark = si;
    } else if (pc !== -1 && (pc === 63 /* ? */ || pc === s.charCodeAt(si))) {
      pi++;
      si++;
    } else if (star !== -1) {
      pi = star + 1;
      si = ++mark;
    } else {
      return false;
    }
  }
  while (pi < pl && p.charCodeAt(pi) === 42) pi++;
  return pi === pl;
}
