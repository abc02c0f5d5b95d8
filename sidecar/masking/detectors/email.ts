/**
 * E-mail addresses (`local@domain.tld`). Found by expanding around each `@` rather than with one
 * big regex: a regex like `[\w.]+@...` retried at every position is quadratic on a long run of
 * letters, and the text comes from the database.
 */
import type { Span } from './span.js';

function isLocal(c: number): boolean {
  return (
    (c >= 97 && c <= 122) ||
    (c >= 65 && c <= 90) ||
    (c >= 48 && c <= 57) ||
    c === 46 ||
    c === 95 ||
    c === 37 ||
    c === 43 ||
    c === 45
  );
}

function isDomain(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 46 || c === 45;
}

const TLD = /^[A-Za-z]{2,63}$/;
const LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

/** Finds e-mail addresses with an ASCII local part and a dotted domain ending in a letters-only TLD. */
export function findEmails(text: string): Span[] {
  const spans: Span[] = [];
  let from = 0;
  let lastEnd = 0;
  for (let at = text.indexOf('@', from); at !== -1; at = text.indexOf('@', from)) {
    from = at + 1;
    let s = at;
    while (s > lastEnd && isLocal(text.charCodeAt(s - 1))) s--;
    while (s < at && text.charCodeAt(s) === 46) s++;
    if (s === at) continue;
    let e = at + 1;
    while (e < text.length && isDomain(text.charCodeAt(e))) e++;
    const domainEnd = validDomainEnd(text, at + 1, e);
    if (domainEnd === -1) continue;
    spans.push({ start: s, end: domainEnd });
    lastEnd = domainEnd;
    from = domainEnd;
  }
  return spans;
}

/** The end of the longest valid domain starting at `start` within `[start, max)`, or -1. */
function validDomainEnd(text: string, start: number, max: number): number {
  const labels = text.slice(start, max).split('.');
  // Cut at the first label that is not a valid hostname label (`a@b..c`, trailing dot...).
  let n = 0;
  while (n < labels.length && LABEL.test(labels[n] as string)) n++;
  // Shrink until the last label is a TLD.
  while (n >= 2 && !TLD.test(labels[n - 1] as string)) n--;
  if (n < 2) return -1;
  let len = n - 1;
  for (let i = 0; i < n; i++) len += (labels[i] as string).length;
  return start + len;
}
