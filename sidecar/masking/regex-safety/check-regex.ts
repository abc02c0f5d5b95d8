/**
 * The safety rules for custom masking patterns. JavaScript's RegExp engine backtracks, so a pattern
 * written by a tenant and run over database values could take exponential (or high polynomial) time.
 * Patterns are refused at compile time when they contain:
 * - backreferences (`\1`, `\k<name>`) and lookaround (`(?=`, `(?!`, `(?<=`, `(?<!`);
 * - nested quantifiers: a repeated group containing a variable repetition (`(a+)+`, `(a*)*`,
 *   `(a{1,3}){2,}`, `(a+){3}`);
 * - repetitions of something that can match empty text (`(a?)*`, `(a|)+`);
 * - repeated alternations whose branches can start with the same character (`(a|aa)+`, `(\d|\w)+`);
 * - repeated variable-length bodies whose first character can also appear later in the body, so
 *   that iterations can split the same text in several ways (`(\w\w?)+`, `(a?a)+`);
 * - two unbounded repetitions in one sequence that can consume the same characters with nothing
 *   forcing the first to stop (`\d+\d+`, `.*x.*`, `\w+\s?\w+`): polynomial backtracking;
 * - patterns that can match empty text, and patterns longer than 512 characters.
 * What is left runs each match attempt in time linear in the text it scans; a whole search is at
 * worst quadratic in the value length (the engine retries at every start position). True linear
 * time needs an automaton engine such as RE2, which is not a dependency (see docs/policy-language.md).
 */
import { intersects, type CharSet } from './char-set.js';
import { allChars, firstChars, laterChars, maxLength, minLength, nullable } from './analyse.js';
import { parseRegex, RegexSyntaxError, type RegexNode } from './regex-ast.js';

export type RegexSafetyResult = { ok: true } | { ok: false; reason: string };

/**
 * Decides whether a custom pattern may run on the data path. Behind an interface so that a checker
 * built on a maintained parser (regjsparser, regexp-tree) or on RE2 can replace this one.
 */
export interface RegexSafetyChecker {
  readonly name: string;
  check(source: string): RegexSafetyResult;
}

/** The flags custom patterns run with: `g` to find every match, `u` for the strict grammar. */
export const PATTERN_FLAGS = 'gu';
export const MAX_PATTERN_LENGTH = 512;

class Unsafe extends Error {}

/** The built-in checker: a hand-written parser of the `u`-flag grammar plus the rules above. */
export const builtinRegexSafety: RegexSafetyChecker = {
  name: 'builtin',
  check(source: string): RegexSafetyResult {
    if (source.length > MAX_PATTERN_LENGTH)
      return { ok: false, reason: `longer than ${MAX_PATTERN_LENGTH} characters` };
    try {
      new RegExp(source, PATTERN_FLAGS);
    } catch (e) {
      return { ok: false, reason: `not a valid regular expression: ${(e as Error).message}` };
    }
    let ast: RegexNode;
    try {
      ast = parseRegex(source);
    } catch (e) {
      if (e instanceof RegexSyntaxError) return { ok: false, reason: `unsupported syntax: ${e.message}` };
      throw e;
    }
    try {
      if (nullable(ast)) throw new Unsafe('it can match empty text');
      visit(ast, false);
      return { ok: true };
    } catch (e) {
      if (e instanceof Unsafe) return { ok: false, reason: e.message };
      throw e;
    }
  },
};

/** Walks the tree; `underRepeat` is true inside the body of a repetition with max > 1. */
function visit(n: RegexNode, underRepeat: boolean): void {
  switch (n.type) {
    case 'backref':
      throw new Unsafe('backreferences are not allowed (they force backtracking)');
    case 'look':
      throw new Unsafe(`${n.behind ? 'lookbehind' : 'lookahead'} is not allowed`);
    case 'alt':
      if (underRepeat) checkAlternativesDisjoint(n.alternatives);
      for (const a of n.alternatives) visit(a, underRepeat);
      return;
    case 'seq':
      checkAdjacentRepeats(n.items);
      for (const i of n.items) visit(i, underRepeat);
      return;
    case 'group':
      visit(n.body, underRepeat);
      return;
    case 'repeat': {
      const repeats = n.max > 1;
      if (underRepeat && n.min !== n.max && n.max > 1) {
        throw new Unsafe(
          'nested quantifiers (a repeated group containing a variable repetition, like (a+)+) are not allowed',
        );
      }
      // The body first, so that the most specific reason is the one reported.
      visit(n.body, underRepeat || repeats);
      if (repeats) {
        if (nullable(n.body))
          throw new Unsafe('a repetition of something that can match empty text (like (a?)*) is not allowed');
        if (minLength(n.body) !== maxLength(n.body) && intersects(firstChars(n.body), laterChars(n.body))) {
          throw new Unsafe(
            'a repeated group of variable length whose iterations can split the same text in several ways (like (\\w\\w?)+) is not allowed',
          );
        }
      }
      return;
    }
    default:
      return;
  }
}

function checkAlternativesDisjoint(alternatives: readonly RegexNode[]): void {
  const firsts: CharSet[] = [];
  for (const a of alternatives) {
    if (nullable(a)) throw new Unsafe('a repeated alternation with an empty branch is not allowed');
    const f = firstChars(a);
    if (firsts.some((g) => intersects(f, g))) {
      throw new Unsafe(
        'a repeated alternation whose branches can start with the same character (like (a|ab)+) is not allowed; factor the common prefix out',
      );
    }
    firsts.push(f);
  }
}

/**
 * In a sequence, an unbounded repetition A followed (through items A can also consume, or that can
 * be empty) by another unbounded repetition B that shares characters with A backtracks
 * polynomially: each split point between A and B is tried.
 */
function checkAdjacentRepeats(items: readonly RegexNode[]): void {
  for (let i = 0; i < items.length; i++) {
    const a = unboundedRepeat(items[i] as RegexNode);
    if (a === undefined) continue;
    const aChars = allChars(a);
    for (let j = i + 1; j < items.length; j++) {
      const b = items[j] as RegexNode;
      const bChars = allChars(b);
      if (unboundedRepeat(b) !== undefined && intersects(aChars, bChars)) {
        throw new Unsafe(
          'two unbounded repetitions that can match the same characters in a row (like \\d+\\d+ or .*x.*) are not allowed',
        );
      }
      if (!nullable(b) && !intersects(aChars, bChars)) break;
    }
  }
}

function unboundedRepeat(n: RegexNode): RegexNode | undefined {
  if (n.type === 'repeat' && n.max === Infinity) return n;
  if (n.type === 'group') return unboundedRepeat(n.body);
  return undefined;
}
