/**
 * International Bank Account Numbers: a known country code, two check digits and the national part,
 * written compact (`DE89370400440532013000`) or in groups of four (`DE89 3704 0044 0532 0130 00`).
 * A candidate must have its country's registered length and pass the ISO 7064 mod-97 check.
 */
import type { Span } from './span.js';

/** IBAN lengths by country (SWIFT IBAN registry). */
export const IBAN_LENGTHS: Readonly<Record<string, number>> = {
  AD: 24,
  AE: 23,
  AL: 28,
  AT: 20,
  AZ: 28,
  BA: 20,
  BE: 16,
  BG: 22,
  BH: 22,
  BI: 27,
  BR: 29,
  BY: 28,
  CH: 21,
  CR: 22,
  CY: 28,
  CZ: 24,
  DE: 22,
  DJ: 27,
  DK: 18,
  DO: 28,
  EE: 20,
  EG: 29,
  ES: 24,
  FI: 18,
  FK: 18,
  FO: 18,
  FR: 27,
  GB: 22,
  GE: 22,
  GI: 23,
  GL: 18,
  GR: 27,
  GT: 28,
  HR: 21,
  HU: 28,
  IE: 22,
  IL: 23,
  IQ: 23,
  IS: 26,
  IT: 27,
  JO: 30,
  KW: 30,
  KZ: 20,
  LB: 28,
  LC: 32,
  LI: 21,
  LT: 20,
  LU: 20,
  LV: 21,
  LY: 25,
  MC: 27,
  MD: 24,
  ME: 22,
  MK: 19,
  MN: 20,
  MR: 27,
  MT: 31,
  MU: 30,
  NI: 28,
  NL: 18,
  NO: 15,
  OM: 23,
  PK: 24,
  PL: 28,
  PS: 29,
  PT: 25,
  QA: 29,
  RO: 24,
  RS: 22,
  RU: 33,
  SA: 24,
  SC: 31,
  SD: 18,
  SE: 24,
  SI: 19,
  SK: 24,
  SM: 27,
  SO: 23,
  ST: 25,
  SV: 28,
  TL: 23,
  TN: 24,
  TR: 26,
  UA: 29,
  VA: 22,
  VG: 24,
  XK: 20,
  YE: 30,
};

/** Country code, check digits, then up to 30 alphanumerics each optionally preceded by one space. */
const CANDIDATE = /(?<![A-Za-z0-9])[A-Za-z]{2}\d{2}(?: ?[A-Za-z0-9]){10,30}/g;

/** The ISO 7064 mod-97-10 check over a compact, upper-case IBAN. */
export function ibanChecksumValid(iban: string): boolean {
  const rearranged = iban.slice(4) + iban.slice(0, 4);
  let rem = 0;
  for (let i = 0; i < rearranged.length; i++) {
    const c = rearranged.charCodeAt(i);
    if (c >= 48 && c <= 57) rem = (rem * 10 + (c - 48)) % 97;
    else if (c >= 65 && c <= 90) rem = (rem * 100 + (c - 55)) % 97;
    else return false;
  }
  return rem === 1;
}

/** Finds IBANs of a known country with the right length and a valid mod-97 check. */
export function findIbans(text: string): Span[] {
  const spans: Span[] = [];
  CANDIDATE.lastIndex = 0;
  for (let m = CANDIDATE.exec(text); m !== null; m = CANDIDATE.exec(text)) {
    const start = m.index;
    const expected = IBAN_LENGTHS[m[0].slice(0, 2).toUpperCase()];
    if (expected === undefined) {
      CANDIDATE.lastIndex = start + 1;
      continue;
    }
    // Walk the candidate until `expected` alphanumerics are seen.
    let count = 0;
    let end = start;
    let compact = '';
    while (end < start + m[0].length && count < expected) {
      const ch = text[end] as string;
      if (ch !== ' ') {
        compact += ch.toUpperCase();
        count++;
      }
      end++;
    }
    // The IBAN must end at a boundary: end of candidate text, or a space before more text.
    const next = text.charCodeAt(end);
    const boundary = end >= text.length || !isAlnum(next);
    if (count === expected && boundary && ibanChecksumValid(compact)) {
      spans.push({ start, end });
      CANDIDATE.lastIndex = end;
    } else {
      CANDIDATE.lastIndex = start + 1;
    }
  }
  return spans;
}

function isAlnum(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}
