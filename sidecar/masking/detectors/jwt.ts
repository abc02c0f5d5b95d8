/**
 * JSON Web Tokens (JWS compact form, and JWE's five segments): base64url segments separated by
 * dots, the first one starting `eyJ` (base64url of `{"`). An empty signature (`alg: none`) still
 * counts: the claims are what leak.
 */
import type { Span } from './span.js';

const JWT = /(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{5,}(?:\.[A-Za-z0-9_-]*){2,4}/g;

/** Finds JWTs: `eyJ...` header, then two to four more dot-separated base64url segments. */
export function findJwts(text: string): Span[] {
  const spans: Span[] = [];
  JWT.lastIndex = 0;
  for (let m = JWT.exec(text); m !== null; m = JWT.exec(text)) {
    // The payload segment must not be empty (`eyJhbGc..` is not a token).
    const parts = m[0].split('.');
    if ((parts[1] ?? '').length < 2) continue;
    spans.push({ start: m.index, end: m.index + m[0].length });
  }
  return spans;
}
