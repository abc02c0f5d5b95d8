/**
 * What masked values look like, and how the masker recognises its own output. Masking must be
 * idempotent — the sidecar may mask a value twice (a recording replayed through the masker, a proxy
 * chain) — so every marker is chosen so that no built-in detector matches it, and the scanner
 * treats markers as protected regions that no detector or pattern may re-mask.
 *
 * - redact: `[REDACTED]` for a selected field, `[REDACTED:<kind>]` for a detected value
 *   (`[REDACTED:email]`, `[REDACTED:creditCard]`, `[REDACTED:<pattern name>]`);
 * - hash: `h:` + 16 lower-case hex digits;
 * - partial: `*` in place of each masked letter or digit.
 */
import type { Span } from './detectors/span.js';

export const FIELD_MARKER = '[REDACTED]';
export const HASH_PREFIX = 'h:';
export const HASH_HEX_LENGTH = 16;
export const MASK_CHAR = '*';

const HASH_MARKER = /^h:[0-9a-f]{16}$/;

/** The redaction marker for a detected value of `kind`. */
export function spanMarker(kind: string): string {
  return `[REDACTED:${kind}]`;
}

/**
 * A custom pattern's name as it appears in markers: letters, digits, `_` and `-` only, at most 40
 * characters, so a marker can never contain brackets or spell out something a detector matches
 * outside the protected region.
 */
export function markerKind(name: string): string {
  const k = name.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 40);
  return k === '' ? 'pattern' : k;
}

/** True when `value` is exactly a hash marker (the hash strategy leaves those alone). */
export function isHashMarker(value: string): boolean {
  return value.length === HASH_PREFIX.length + HASH_HEX_LENGTH && HASH_MARKER.test(value);
}

/**
 * Compiles a finder for the markers this masker can produce: the exact set of redaction markers
 * for `kinds` plus hash markers (with a word boundary on each side). Returns protected regions.
 */
export function protectedRegionFinder(kinds: readonly string[]): (text: string) => Span[] {
  const alternatives = [...new Set(kinds)]
    .map((k) => k.replace(/[^A-Za-z0-9_-]/g, ''))
    .filter((k) => k !== '');
  const redacted =
    alternatives.length > 0 ? `\\[REDACTED(?::(?:${alternatives.join('|')}))?\\]` : '\\[REDACTED\\]';
  const re = new RegExp(`${redacted}|(?<![0-9A-Za-z])h:[0-9a-f]{${HASH_HEX_LENGTH}}(?![0-9A-Za-z])`, 'g');
  return (text) => {
    if (!text.includes('[REDACTED') && !text.includes(HASH_PREFIX)) return [];
    const spans: Span[] = [];
    re.lastIndex = 0;
    for (let m = re.exec(text); m !== null; m = re.exec(text))
      spans.push({ start: m.index, end: m.index + m[0].length });
    return spans;
  };
}
