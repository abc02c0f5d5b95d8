/**
 * Strict percent-decoding (RFC 3986 §2.1). Lenient decoders disagree with each other about
 * `%zz`, `%` at the end or bytes that are not UTF-8, and a policy point must not read a URL
 * differently from the server behind it; so anything ambiguous is refused (`undefined`).
 */

const HEX = /^[0-9A-Fa-f]{2}$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Whether every `%` in `text` starts a valid two-digit escape. */
export function hasValidEscapes(text: string): boolean {
  for (let i = text.indexOf('%'); i >= 0; i = text.indexOf('%', i + 1)) {
    if (!HEX.test(text.slice(i + 1, i + 3))) return false;
  }
  return true;
}

/**
 * Decodes `%XX` escapes (and `+` as a space when `plusIsSpace`, as in form-encoded queries).
 * Returns `undefined` for a malformed escape or bytes that are not valid UTF-8.
 */
export function percentDecode(text: string, plusIsSpace = false): string | undefined {
  const source = plusIsSpace ? text.replace(/\+/g, ' ') : text;
  if (!source.includes('%')) return source;
  if (!hasValidEscapes(source)) return undefined;
  const bytes: number[] = [];
  let out = '';
  const flush = (): boolean => {
    if (bytes.length === 0) return true;
    try {
      out += utf8.decode(new Uint8Array(bytes));
    } catch {
      return false;
    }
    bytes.length = 0;
    return true;
  };
  for (let i = 0; i < source.length; i++) {
    if (source[i] === '%') {
      bytes.push(parseInt(source.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      if (!flush()) return undefined;
      out += source[i];
    }
  }
  return flush() ? out : undefined;
}
