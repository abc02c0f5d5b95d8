/**
 * The request-target of an HTTP request line (RFC 9112 §3.2), split into path and query without
 * any normalisation: `origin-form` (`/path?query`) and `absolute-form`
 * (`http://host/path?query`, what clients send to a forward proxy). Other forms (`*`,
 * `host:port`) and anything with a fragment, whitespace or control characters are refused.
 */

export interface RequestTarget {
  /** `host[:port]` of an absolute-form target. */
  authority?: string;
  /** The path exactly as sent (never empty: `http://h` means `/`). */
  path: string;
  /** The query exactly as sent, without the `?`; `undefined` when there was no `?`. */
  query?: string;
}

const ABSOLUTE = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/([^/?#]*)(.*)$/s;

export function splitRequestTarget(target: string): RequestTarget | string {
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0020\u007f]/.test(target))
    return 'the request target contains whitespace or control characters';
  if (target.includes('#')) return 'the request target contains a fragment';
  let authority: string | undefined;
  let rest = target;
  if (!target.startsWith('/')) {
    const absolute = ABSOLUTE.exec(target);
    if (!absolute) return 'the request target is neither a path nor an absolute URL';
    authority = absolute[1] as string;
    rest = absolute[2] as string;
    if (!/^https?:/i.test(target)) return 'only http and https URLs are accepted';
    if (rest === '' || rest.startsWith('?')) rest = `/${rest}`;
  }
  const q = rest.indexOf('?');
  const path = q < 0 ? rest : rest.slice(0, q);
  const query = q < 0 ? undefined : rest.slice(q + 1);
  return { ...(authority !== undefined && { authority }), path, ...(query !== undefined && { query }) };
}
