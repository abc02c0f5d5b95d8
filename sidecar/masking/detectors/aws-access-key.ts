/**
 * AWS access key ids: `AKIA` (long-term) or `ASIA` (temporary, STS) followed by 16 upper-case
 * letters or digits. The id alone is not a secret, but it names the key and is rarely alone.
 */
import type { Span } from './span.js';

const KEY = /(?<![A-Za-z0-9])(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Za-z0-9])/g;

/** Finds AWS access key ids. */
export function findAwsAccessKeys(text: string): Span[] {
  const spans: Span[] = [];
  KEY.lastIndex = 0;
  for (let m = KEY.exec(text); m !== null; m = KEY.exec(text))
    spans.push({ start: m.index, end: m.index + 20 });
  return spans;
}
