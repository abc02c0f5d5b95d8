/**
 * RFC 6901 JSON pointers for the patches the webhooks return. Annotation keys contain `/`
 * (`crewgate.dev/status`), which must be written `~1` or the API server patches the wrong path.
 */

/** Escapes one reference token: `~` → `~0` first, then `/` → `~1` (RFC 6901 §3, §4). */
export function escapePointerToken(token: string | number): string {
  return String(token).replaceAll('~', '~0').replaceAll('/', '~1');
}

/** Joins tokens into a pointer: `pointer('metadata', 'annotations', 'crewgate.dev/x')`. */
export function pointer(...tokens: (string | number)[]): string {
  return tokens.map((t) => `/${escapePointerToken(t)}`).join('');
}
