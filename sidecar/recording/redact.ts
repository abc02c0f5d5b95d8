/**
 * Last line of defence against credentials in recordings: identities never carry tokens and the
 * adapters never pass passwords, but a statement's text is the user's and may hold one
 * (`ALTER ROLE x PASSWORD '...'`, a JWT pasted into a query). Every string in an event goes through
 * `redactSecrets` before it is spooled.
 */

/** A JWS compact serialisation: three base64url parts, the first two JSON objects (`eyJ`). */
const JWT = /eyJ[A-Za-z0-9_-]{4,}\.eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{8,}/g;
/** `PASSWORD 'literal'` in CREATE/ALTER ROLE and USER, with doubled quotes inside. */
const SQL_PASSWORD = /(\bPASSWORD\s+)'(?:[^']|'')*'/gi;

export const REDACTED = '[redacted]';

export function redactString(s: string): string {
  if (!s.includes('eyJ') && !/password/i.test(s)) return s;
  return s.replace(JWT, `${REDACTED}:jwt`).replace(SQL_PASSWORD, `$1'${REDACTED}'`);
}

/** A copy of `value` with every string passed through `redactString`. */
export function redactSecrets<T>(value: T): T {
  if (typeof value === 'string') return redactString(value) as T;
  if (Array.isArray(value)) return value.map((v) => redactSecrets(v)) as T;
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, redactSecrets(v)]),
    ) as T;
  }
  return value;
}
