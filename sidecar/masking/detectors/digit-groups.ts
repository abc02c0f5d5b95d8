/**
 * Numbers written in groups (`4111 1111 1111 1111`, `+1 (415) 555-2671`) are found in two steps: a
 * linear regex finds a run of digits and separators, then the run is cut into digit groups and the
 * detector tries windows of consecutive groups. This keeps the regexes trivially linear and lets a
 * detector find a card number followed by an unrelated `2024` in the same run.
 */

/** One maximal run of digits inside a candidate, with what precedes it up to the previous group. */
export interface DigitGroup {
  start: number;
  end: number;
  /** Text between the previous group's end (or the run start) and this group's start. */
  before: string;
}

const DIGITS = /\d+/g;

/** The digit groups of `text.slice(start, end)`, in order, with absolute positions. */
export function digitGroups(text: string, start: number, end: number): DigitGroup[] {
  const groups: DigitGroup[] = [];
  const slice = text.slice(start, end);
  DIGITS.lastIndex = 0;
  let prev = 0;
  for (let m = DIGITS.exec(slice); m !== null; m = DIGITS.exec(slice)) {
    groups.push({
      start: start + m.index,
      end: start + m.index + m[0].length,
      before: slice.slice(prev, m.index),
    });
    prev = m.index + m[0].length;
  }
  return groups;
}

/**
 * Picks non-overlapping windows of consecutive groups, left to right, the longest accepted window at
 * each position. `maxDigits` bounds a window so the work per group is bounded.
 */
export function acceptedWindows(
  groups: readonly DigitGroup[],
  maxDigits: number,
  accept: (first: number, last: number) => boolean,
): { first: number; last: number }[] {
  const out: { first: number; last: number }[] = [];
  let i = 0;
  while (i < groups.length) {
    let digits = 0;
    let best = -1;
    for (let j = i; j < groups.length; j++) {
      const g = groups[j] as DigitGroup;
      digits += g.end - g.start;
      if (digits > maxDigits) break;
      if (accept(i, j)) best = j;
    }
    if (best >= 0) {
      out.push({ first: i, last: best });
      i = best + 1;
    } else {
      i++;
    }
  }
  return out;
}
