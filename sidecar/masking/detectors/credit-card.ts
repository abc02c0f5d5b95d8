/**
 * Payment card numbers: 13 to 19 digits, optionally grouped with single spaces or dashes, that pass
 * the Luhn check. The Luhn check is what keeps order ids and phone numbers from being masked.
 */
import { acceptedWindows, digitGroups } from './digit-groups.js';
import type { Span } from './span.js';

/** A run of digits with single space/dash separators; linear (no nested quantifier). */
const RUN = /\d(?:[ -]?\d)*/g;

/** The Luhn (mod 10) check over a string of digits. */
export function luhnValid(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return false;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return digits.length > 0 && sum % 10 === 0;
}

/** Finds Luhn-valid 13–19 digit card numbers (plain, or grouped with spaces or dashes). */
export function findCreditCards(text: string): Span[] {
  const spans: Span[] = [];
  RUN.lastIndex = 0;
  for (let m = RUN.exec(text); m !== null; m = RUN.exec(text)) {
    const start = m.index;
    const end = start + m[0].length;
    if (end - start < 13) continue;
    const groups = digitGroups(text, start, end);
    // acceptedWindows extends `last` one group at a time for a given `first`: grow the digits too.
    let windowFirst = -1;
    let digits = '';
    const windows = acceptedWindows(groups, 19, (first, last) => {
      const g = groups[last] as { start: number; end: number };
      if (first !== windowFirst || last === first) {
        windowFirst = first;
        digits = '';
      }
      digits += text.slice(g.start, g.end);
      return digits.length >= 13 && luhnValid(digits);
    });
    for (const w of windows)
      spans.push({ start: groups[w.first]?.start as number, end: groups[w.last]?.end as number });
  }
  return spans;
}
