/**
 * How a selected or detected value is masked. Three strategies, each idempotent on its own output:
 * - redact: replaced by a marker (`[REDACTED]`, `[REDACTED:email]`); nothing of the value remains;
 * - partial: every letter and digit becomes `*` except the last `keepLast` — but never more than
 *   half of them, so a short value is not given away — and every other character (separators such
 *   as `-`, ` `, `@`, `.`) is kept: `4111 1111 1111 1111` -> `**** **** **** 1111`;
 * - hash: `h:` + the first 16 hex digits of HMAC-SHA256(key, value): equal values give equal
 *   outputs, so joins and group-bys still work, and without the key nothing can be recovered.
 * When several rules mask the same value, the strictest strategy wins: redact > hash > partial.
 */
import { createHmac } from 'node:crypto';
import {
  FIELD_MARKER,
  HASH_HEX_LENGTH,
  HASH_PREFIX,
  isHashMarker,
  MASK_CHAR,
  spanMarker,
} from './markers.js';

export type StrategyName = 'redact' | 'partial' | 'hash';

export interface Strategy {
  readonly name: StrategyName;
  /** Higher is stricter: redact 3, hash 2, partial 1. */
  readonly rank: number;
  /** Masks a whole selected field. */
  field(value: string): string;
  /** Masks a detected value of `kind` inside a longer text. */
  span(value: string, kind: string): string;
}

export const REDACT: Strategy = Object.freeze({
  name: 'redact' as const,
  rank: 3,
  field: () => FIELD_MARKER,
  span: (_value: string, kind: string) => spanMarker(kind),
});

/** The partial strategy keeping up to `keepLast` trailing letters/digits. */
export function partialStrategy(keepLast: number): Strategy {
  const f = (v: string): string => partialMask(v, keepLast);
  return Object.freeze({ name: 'partial' as const, rank: 1, field: f, span: f });
}

/** The hash strategy with an HMAC key (at least 16 bytes; checked by the compiler). */
export function hashStrategy(key: Uint8Array): Strategy {
  const k = Buffer.from(key);
  const f = (v: string): string => hashMask(v, k);
  return Object.freeze({ name: 'hash' as const, rank: 2, field: f, span: f });
}

/** The stricter of two strategies (the first on a tie). */
export function stricter(a: Strategy, b: Strategy): Strategy {
  return b.rank > a.rank ? b : a;
}

function isMaskable(ch: string): boolean {
  const c = ch.charCodeAt(0);
  if (c < 128) return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 42;
  return /^[\p{L}\p{N}]$/u.test(ch);
}

/**
 * Masks letters and digits with `*`, keeping the last `min(keepLast, floor(n / 2))` of them, where
 * `n` counts letters, digits and `*` (so a second pass keeps exactly the same characters).
 */
export function partialMask(value: string, keepLast: number): string {
  const cps = Array.from(value);
  let n = 0;
  for (const c of cps) if (isMaskable(c)) n++;
  const keep = Math.min(keepLast, Math.floor(n / 2));
  let seen = 0;
  let changed = false;
  for (let i = cps.length - 1; i >= 0; i--) {
    const c = cps[i] as string;
    if (!isMaskable(c)) continue;
    if (seen >= keep && c !== MASK_CHAR) {
      cps[i] = MASK_CHAR;
      changed = true;
    }
    seen++;
  }
  return changed ? cps.join('') : value;
}

/** `h:` + 16 hex digits of HMAC-SHA256; a value that already is a hash marker is returned as is. */
export function hashMask(value: string, key: Uint8Array): string {
  if (isHashMarker(value)) return value;
  const hex = createHmac('sha256', key).update(value, 'utf8').digest('hex');
  return HASH_PREFIX + hex.slice(0, HASH_HEX_LENGTH);
}
