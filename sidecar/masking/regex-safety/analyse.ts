/**
 * Structural facts about a parsed pattern that the safety rules need: can it match empty text,
 * which characters can start a match, which can appear later, which can appear at all, and the
 * range of match lengths.
 */
import { EMPTY, union, type CharSet } from './char-set.js';
import type { RegexNode } from './regex-ast.js';

export function nullable(n: RegexNode): boolean {
  switch (n.type) {
    case 'alt':
      return n.alternatives.some(nullable);
    case 'seq':
      return n.items.every(nullable);
    case 'group':
      return nullable(n.body);
    case 'repeat':
      return n.min === 0 || nullable(n.body);
    case 'chars':
      return false;
    default:
      return true;
  }
}

/** Characters that can be the first consumed by a match of `n`. */
export function firstChars(n: RegexNode): CharSet {
  switch (n.type) {
    case 'alt':
      return n.alternatives.map(firstChars).reduce(union, EMPTY);
    case 'seq': {
      let set = EMPTY;
      for (const item of n.items) {
        set = union(set, firstChars(item));
        if (!nullable(item)) break;
      }
      return set;
    }
    case 'group':
    case 'repeat':
      return firstChars(n.body);
    case 'chars':
      return n.set;
    default:
      return EMPTY;
  }
}

/** Every character a match of `n` can consume. */
export function allChars(n: RegexNode): CharSet {
  switch (n.type) {
    case 'alt':
      return n.alternatives.map(allChars).reduce(union, EMPTY);
    case 'seq':
      return n.items.map(allChars).reduce(union, EMPTY);
    case 'group':
    case 'repeat':
      return allChars(n.body);
    case 'chars':
      return n.set;
    default:
      return EMPTY;
  }
}

/** Characters that can appear at a position other than the first of a match (over-approximated). */
export function laterChars(n: RegexNode): CharSet {
  switch (n.type) {
    case 'alt':
      return n.alternatives.map(laterChars).reduce(union, EMPTY);
    case 'seq': {
      let set = EMPTY;
      let consumedBefore = false;
      for (const item of n.items) {
        set = union(set, laterChars(item));
        if (consumedBefore) set = union(set, firstChars(item));
        if (maxLength(item) > 0) consumedBefore = true;
      }
      return set;
    }
    case 'group':
      return laterChars(n.body);
    case 'repeat':
      return n.max > 1 ? union(laterChars(n.body), firstChars(n.body)) : laterChars(n.body);
    default:
      return EMPTY;
  }
}

export function minLength(n: RegexNode): number {
  switch (n.type) {
    case 'alt':
      return Math.min(...n.alternatives.map(minLength));
    case 'seq':
      return n.items.reduce((a, i) => a + minLength(i), 0);
    case 'group':
      return minLength(n.body);
    case 'repeat':
      return n.min * minLength(n.body);
    case 'chars':
      return 1;
    default:
      return 0;
  }
}

export function maxLength(n: RegexNode): number {
  switch (n.type) {
    case 'alt':
      return Math.max(...n.alternatives.map(maxLength));
    case 'seq':
      return n.items.reduce((a, i) => a + maxLength(i), 0);
    case 'group':
      return maxLength(n.body);
    case 'repeat': {
      const b = maxLength(n.body);
      return b === 0 ? 0 : n.max * b;
    }
    case 'chars':
      return 1;
    default:
      return 0;
  }
}
