/**
 * Decoding of bash's ANSI-C quoting, `$'...'`. It matters for policy because `$'\x72\x6d' -rf /`
 * runs `rm`: the program name is only known once the escapes are resolved.
 *
 * Follows the table in the bash manual ("ANSI-C Quoting") and bash's `ansicstr()` in
 * `lib/sh/strtrans.c`: unknown escapes keep their backslash, and a NUL ends the string (bash
 * builds a C string, so `$'rm\0x'` is `rm`).
 */

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  a: '\x07',
  b: '\b',
  e: '\x1b',
  E: '\x1b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
  '\\': '\\',
  "'": "'",
  '"': '"',
  '?': '?',
};

const isOctal = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '7';
const isHex = (c: string | undefined): boolean => c !== undefined && /^[0-9a-fA-F]$/.test(c);

/** Reads up to `max` characters from `body` at `start` that satisfy `accept`. */
function digits(
  body: string,
  start: number,
  max: number,
  accept: (c: string | undefined) => boolean,
): string {
  let end = start;
  while (end < body.length && end - start < max && accept(body[end])) end++;
  return body.slice(start, end);
}

function codePoint(value: number): string | undefined {
  if (value > 0x10ffff || (value >= 0xd800 && value <= 0xdfff)) return undefined;
  return String.fromCodePoint(value);
}

/**
 * Decodes the body of a `$'...'` string (without the `$'` and the closing `'`) the way bash does.
 */
export function decodeAnsiC(body: string): string {
  let out = '';
  let i = 0;
  while (i < body.length) {
    const c = body[i] as string;
    if (c !== '\\' || i + 1 >= body.length) {
      out += c;
      i++;
      continue;
    }
    const e = body[i + 1] as string;
    let decoded: string | undefined;
    let consumed = 2;
    const simple = SIMPLE_ESCAPES[e];
    if (simple !== undefined) {
      decoded = simple;
    } else if (isOctal(e)) {
      const octal = digits(body, i + 1, 3, isOctal);
      decoded = String.fromCharCode(parseInt(octal, 8) & 0xff);
      consumed = 1 + octal.length;
    } else if (e === 'x') {
      const hex = digits(body, i + 2, 2, isHex);
      if (hex.length > 0) {
        decoded = String.fromCharCode(parseInt(hex, 16));
        consumed = 2 + hex.length;
      }
    } else if (e === 'u' || e === 'U') {
      const hex = digits(body, i + 2, e === 'u' ? 4 : 8, isHex);
      if (hex.length > 0) {
        decoded = codePoint(parseInt(hex, 16));
        if (decoded !== undefined) consumed = 2 + hex.length;
      }
    } else if (e === 'c' && i + 2 < body.length) {
      const ctl = body[i + 2] as string;
      decoded = ctl === '?' ? '\x7f' : String.fromCharCode(ctl.toUpperCase().charCodeAt(0) & 0x1f);
      consumed = 3;
    }
    if (decoded === undefined) {
      out += c + e;
      i += 2;
      continue;
    }
    if (decoded === '\0') return out;
    out += decoded;
    i += consumed;
  }
  return out;
}
