/**
 * PEM private keys: the whole block from `-----BEGIN <TYPE> PRIVATE KEY-----` to the matching
 * `-----END <TYPE> PRIVATE KEY-----` (RSA, EC, DSA, OPENSSH, ENCRYPTED, plain PKCS#8, and PGP
 * `PRIVATE KEY BLOCK`). A block whose END line is missing (a truncated value) is masked to the end
 * of the text: half a private key is still a private key.
 */
import type { Span } from './span.js';

const HEADER = /-----BEGIN ((?:[A-Z0-9]+ )*)PRIVATE KEY( BLOCK)?-----/y;

/** Finds PEM private-key blocks, header to footer inclusive. */
export function findPemPrivateKeys(text: string): Span[] {
  const spans: Span[] = [];
  let from = 0;
  for (
    let begin = text.indexOf('-----BEGIN ', from);
    begin !== -1;
    begin = text.indexOf('-----BEGIN ', from)
  ) {
    HEADER.lastIndex = begin;
    const m = HEADER.exec(text);
    if (m === null) {
      from = begin + 1;
      continue;
    }
    const footer = `-----END ${m[1] ?? ''}PRIVATE KEY${m[2] ?? ''}-----`;
    const at = text.indexOf(footer, begin + m[0].length);
    const end = at === -1 ? text.length : at + footer.length;
    spans.push({ start: begin, end });
    from = end;
  }
  return spans;
}
