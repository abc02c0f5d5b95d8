/**
 * One spelling per URL path, so that a rule on `/admin/users` also catches `/%61dmin/users`:
 * RFC 3986 §6.2.2 syntax-based normalisation, limited to what every server agrees on. Escapes
 * of unreserved characters are decoded, other escapes get upper-case hex, characters that may
 * not appear in a path are escaped. Anything servers resolve differently is refused instead:
 * dot segments (also encoded, `%2e%2e`, or hidden behind an encoded slash, `..%2f`), empty
 * segments (`//`), backslashes (some servers treat `\` as `/`), NUL and malformed escapes.
 */
import { hasValidEscapes, percentDecode } from './percent-encoding.js';

const UNRESERVED = /[A-Za-z0-9\-._~]/;
/** pchar = unreserved / pct-encoded / sub-delims / ":" / "@" (RFC 3986 §3.3). */
const PCHAR = /[A-Za-z0-9\-._~!$&'()*+,;=:@]/;

function escapeChar(c: string): string {
  return [...new TextEncoder().encode(c)]
    .map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`)
    .join('');
}

function normaliseSegment(segment: string): string {
  let out = '';
  for (let i = 0; i < segment.length; i++) {
    const c = segment[i] as string;
    if (c === '%') {
      const hex = segment.slice(i + 1, i + 3).toUpperCase();
      const decoded = String.fromCharCode(parseInt(hex, 16));
      out += UNRESERVED.test(decoded) ? decoded : `%${hex}`;
      i += 2;
    } else if (PCHAR.test(c)) {
      out += c;
    } else {
      const cp = segment.codePointAt(i) as number;
      const char = String.fromCodePoint(cp);
      out += escapeChar(char);
      i += char.length - 1;
    }
  }
  return out;
}

const isDotSegment = (s: string): boolean => s === '.' || s === '..';

/** The normalised path, or why it is refused. */
export function normalisePath(path: string): { path: string } | { reason: string } {
  if (!path.startsWith('/')) return { reason: 'the path does not start with "/"' };
  if (path.includes('\\')) return { reason: 'the path contains a backslash' };
  if (path.includes('//')) return { reason: 'the path contains an empty segment ("//")' };
  if (!hasValidEscapes(path)) return { reason: 'the path contains invalid percent-encoding' };
  if (/%00|%5c/i.test(path)) return { reason: 'the path contains an encoded NUL or backslash' };
  if (/[\uD800-\uDFFF]/.test(path.replace(/[\uD800-\uDBFF][\uDC00-\uDFFF]/g, '')))
    return { reason: 'the path contains a lone surrogate' };
  const segments = path.slice(1).split('/');
  const normalised: string[] = [];
  for (const raw of segments) {
    const segment = normaliseSegment(raw);
    if (isDotSegment(segment)) return { reason: `the path contains a dot segment ("${raw}")` };
    // What a server that decodes `%2F` would see: no dot segment may hide in there either.
    const decoded = percentDecode(raw);
    if (decoded === undefined) return { reason: `the path segment "${raw}" is not valid UTF-8` };
    if (decoded.split('/').some(isDotSegment))
      return { reason: `the path segment "${raw}" hides a dot segment` };
    normalised.push(segment);
  }
  return { path: `/${normalised.join('/')}` };
}
