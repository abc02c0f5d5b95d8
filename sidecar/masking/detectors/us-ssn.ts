/**
 * US Social Security numbers written `AAA-GG-SSSS`. Numbers the SSA never issues are excluded
 * (area 000, 666 or 900–999, group 00, serial 0000) along with the two famous specimen numbers, so
 * that obviously fake values do not drown the real ones. Undashed nine-digit numbers are not
 * matched: they are indistinguishable from any other id.
 */
import type { Span } from './span.js';

const SSN = /(?<![\d-])(\d{3})-(\d{2})-(\d{4})(?![\d-])/g;
const SPECIMENS = new Set(['078-05-1120', '219-09-9999']);

/** True for an `AAA-GG-SSSS` string the SSA could have issued. */
export function validSsn(area: string, group: string, serial: string): boolean {
  const a = Number(area);
  if (a === 0 || a === 666 || a >= 900) return false;
  if (group === '00' || serial === '0000') return false;
  return !SPECIMENS.has(`${area}-${group}-${serial}`);
}

/** Finds dashed US SSNs outside the never-issued ranges. */
export function findUsSsns(text: string): Span[] {
  const spans: Span[] = [];
  SSN.lastIndex = 0;
  for (let m = SSN.exec(text); m !== null; m = SSN.exec(text)) {
    if (validSsn(m[1] as string, m[2] as string, m[3] as string))
      spans.push({ start: m.index, end: m.index + 11 });
  }
  return spans;
}
