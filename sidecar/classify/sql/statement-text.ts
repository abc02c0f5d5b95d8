/**
 * Cutting one statement's own text out of a multi-statement string.
 *
 * libpg_query reports `stmt_location` / `stmt_len` as BYTE offsets into the UTF-8 encoding of the
 * query (a missing length means "to the end"), while JavaScript strings index UTF-16 code units; one
 * `é` before a second statement shifts every later offset. Pure-ASCII text (the common case) is
 * sliced directly; anything else goes through one UTF-8 buffer per query.
 */

/** Returns the trimmed text of the statement at byte `location`, `length` bytes long (0/undefined: to the end). */
export type StatementSlicer = (location: number, length: number | undefined) => string;

export function statementSlicer(text: string): StatementSlicer {
  if (Buffer.byteLength(text, 'utf8') === text.length) {
    return (location, length) =>
      trimSqlWhitespace(text.slice(location, length ? location + length : undefined));
  }
  const bytes = Buffer.from(text, 'utf8');
  return (location, length) =>
    trimSqlWhitespace(bytes.toString('utf8', location, length ? location + length : bytes.length));
}

/** PostgreSQL's own whitespace (scan.l `space`), not JavaScript's wider notion of it. */
function isSqlSpace(code: number): boolean {
  return code === 0x20 || (code >= 0x09 && code <= 0x0d); // space, \t \n \v \f \r
}

/**
 * Trims what the SQL scanner treats as whitespace. `String.prototype.trim` would also strip a
 * trailing U+00A0, which PostgreSQL accepts inside an unquoted identifier.
 */
export function trimSqlWhitespace(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && isSqlSpace(text.charCodeAt(start))) start++;
  while (end > start && isSqlSpace(text.charCodeAt(end - 1))) end--;
  return start === 0 && end === text.length ? text : text.slice(start, end);
}
