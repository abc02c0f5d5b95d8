/**
 * Phone numbers, in the forms people and systems actually write:
 * - international: `+` then 8–15 digits (E.164), grouped or not: `+14155552671`, `+44 20 7946 0958`,
 *   `+1 (415) 555-2671`;
 * - North American: `(415) 555-2671`, `415-555-2671`, `415.555.2671`, `415 555 2671`,
 *   `1-415-555-2671` (at least one separator: a bare 10-digit number is not assumed to be a phone);
 * - national numbers with a trunk `0`, grouped: `06 12 34 56 78`, `030 1234567`, `020 7946 0958`,
 *   `(030) 1234567`, 9–11 digits in groups of at least two, one separator throughout.
 * Plain digit runs, dates (`2024-01-15`, `01-02-2024`), times, IP addresses and version numbers are
 * not phones.
 */
import { acceptedWindows, digitGroups, type DigitGroup } from './digit-groups.js';
import type { Span } from './span.js';

/** Candidate runs: optional `+`/`(`, digits, separators ` -.()`; linear. */
const RUN = /\+?\(?\d[\d ().-]*\d/g;

const SEP_PLAIN = new Set([' ', '-', '.']);
const SEP_INTL = new Set([' ', '-', '.', ' (', ') ', '(', ')', ')-', '-(']);
const SEP_NATIONAL = new Set([' ', '-', '/', ') ', ')']);

/** Finds phone numbers (see the module comment for the accepted forms). */
export function findPhones(text: string): Span[] {
  const spans: Span[] = [];
  RUN.lastIndex = 0;
  for (let m = RUN.exec(text); m !== null; m = RUN.exec(text)) {
    const runStart = m.index;
    const runEnd = runStart + m[0].length;
    if (m[0].length < 8) continue; // every accepted form has at least 8 digits
    // A number glued to a word (`ID415-555-2671`, `415-555-2671x`) is not a phone; only the windows
    // touching that edge are refused, so the rest of the run is judged on its own.
    const gluedBefore = runStart > 0 && isWordChar(text.charCodeAt(runStart - 1));
    const gluedAfter = runEnd < text.length && isWordChar(text.charCodeAt(runEnd));
    const groups = digitGroups(text, runStart, runEnd);
    const windows = acceptedWindows(
      groups,
      15,
      (first, last) =>
        !(gluedBefore && first === 0) &&
        !(gluedAfter && last === groups.length - 1) &&
        isPhone(text, runStart, groups, first, last),
    );
    for (const w of windows) {
      const g0 = groups[w.first] as DigitGroup;
      let start = g0.start;
      // Include the leading `+` and/or `(` that belong to the number.
      const lead = w.first === 0 ? text.slice(runStart, g0.start) : g0.before.slice(-1) === '(' ? '(' : '';
      if (lead === '+' || lead === '(' || lead === '+(') start -= lead.length;
      spans.push({ start, end: (groups[w.last] as DigitGroup).end });
    }
  }
  return spans;
}

function isWordChar(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}

function isPhone(
  text: string,
  runStart: number,
  groups: readonly DigitGroup[],
  first: number,
  last: number,
): boolean {
  // Cheap rejections first: every accepted form has 8–15 digits, and only international numbers
  // have more than five groups.
  const intl = first === 0 && text.charCodeAt(runStart) === 43; /* + */
  if (!intl && last - first > 4) return false;
  let count = 0;
  for (let k = first; k <= last; k++)
    count += (groups[k] as DigitGroup).end - (groups[k] as DigitGroup).start;
  if (count < 8 || count > 15) return false;

  const g = groups.slice(first, last + 1);
  const lens = g.map((x) => x.end - x.start);
  const digits = lens.reduce((a, b) => a + b, 0);
  const seps = g.slice(1).map((x) => x.before);
  const g0 = g[0] as DigitGroup;
  const lead = first === 0 ? text.slice(runStart, g0.start) : g0.before.endsWith('(') ? '(' : '';
  const firstDigit = text.charCodeAt(g0.start);

  // The window must end cleanly: a `(` opened inside must be closed (`(415` alone is not a phone).
  const opened = (lead.includes('(') ? 1 : 0) + seps.filter((s) => s.includes('(')).length;
  const closed = seps.filter((s) => s.includes(')')).length;
  if (opened !== closed) return false;

  if (lead.startsWith('+')) {
    return digits >= 8 && digits <= 15 && seps.every((s) => SEP_INTL.has(s)) && firstDigit !== 48;
  }
  if (lead !== '' && lead !== '(') return false;
  if (last > first && !seps.some((s) => s !== '')) return false;

  // North American: [1] 3-3-4.
  const nanp =
    lens.length >= 3 &&
    lens.slice(-3).join() === '3,3,4' &&
    (lens.length === 3 || (lens.length === 4 && lens[0] === 1 && text[g0.start] === '1'));
  if (nanp) {
    const k = lens.length - 3;
    const areaSep = seps[k] as string;
    const lineSep = seps[k + 1] as string;
    const parenArea = k === 0 ? lead === '(' : (seps[k - 1] as string).endsWith('(');
    const areaOk = parenArea
      ? areaSep === ') ' || areaSep === ')' || areaSep === ')-'
      : SEP_PLAIN.has(areaSep);
    if (areaOk && SEP_PLAIN.has(lineSep) && (k === 0 || SEP_PLAIN.has((seps[0] as string).replace('(', ''))))
      return true;
  }

  // National with a trunk 0, grouped.
  if (firstDigit === 48 && lens.length >= 2 && digits >= 9 && digits <= 11 && lens.every((l) => l >= 2)) {
    const parenArea = lead === '(';
    const rest = parenArea ? seps.slice(1) : seps;
    if (parenArea && seps[0] !== ') ' && seps[0] !== ')') return false;
    // One separator throughout (`06 12 34 56 78`): mixed separators are dates and ranges, not phones.
    return rest.every((s) => SEP_NATIONAL.has(s) && !s.includes(')') && s === rest[0]);
  }
  return false;
}
