/**
 * The one place that talks to libpg-query: the real PostgreSQL 18 grammar compiled to WASM.
 *
 * `loadModule()` is asynchronous and happens once ({@link initSqlClassifier}); after it, parsing is
 * synchronous, so the proxy can classify a statement without yielding. Failures come back as values
 * because text that does not parse is a classification (`unparseable`), not an exception.
 */

import { hasSqlDetails, loadModule, parseSync, type ParseResult } from 'libpg-query';

let loading: Promise<void> | undefined;
let ready = false;
let faults = 0;

/**
 * Loads the WASM parser. Idempotent: every call returns the same promise, and a failed load may be
 * retried. `classifySql` throws until this has resolved.
 */
export function initSqlClassifier(): Promise<void> {
  loading ??= loadModule().then(
    () => {
      ready = true;
    },
    (error: unknown) => {
      loading = undefined;
      throw error;
    },
  );
  return loading;
}

export type ParseOutcome = { ok: true; tree: ParseResult } | { ok: false; error: string };

/** Parses `text` (non-empty) into a tree, or says why it cannot be trusted to. */
export function parseSql(text: string): ParseOutcome {
  if (!ready) throw new Error('SQL classifier used before initSqlClassifier() resolved');
  // The WASM side reads a NUL-terminated C string: anything after a NUL would never be parsed.
  if (text.includes('\0')) return { ok: false, error: 'query text contains a NUL character' };
  // A lone surrogate makes the UTF-8 copy into WASM memory miscount and cut the tail off.
  if (hasLoneSurrogate(text)) return { ok: false, error: 'query text is not well-formed Unicode' };
  try {
    return { ok: true, tree: parseSync(text) };
  } catch (error) {
    if (!hasSqlDetails(error)) faults++; // not a syntax error: see sqlParserFaults()
    return { ok: false, error: error instanceof Error ? error.message : String(error) };
  }
}

/**
 * How many times the WASM parser failed for a reason other than the input's syntax: a tree so deep
 * that the call stack ran out (a few thousand nesting levels), or a WASM trap. Such text is
 * classified `unparseable` like any other, but libpg-query does not unwind its WASM stack after
 * these failures: after a few dozen of them every later parse fails too (still fail-closed: all
 * text becomes unparseable). A sidecar should report itself unready once this is non-zero, so that
 * it is restarted before it starts refusing everything.
 */
export function sqlParserFaults(): number {
  return faults;
}

function hasLoneSurrogate(text: string): boolean {
  const native = (text as { isWellFormed?: () => boolean }).isWellFormed; // ES2024, Node >= 20
  if (native) return !native.call(text);
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0xd800 || code > 0xdfff) continue;
    if (code >= 0xdc00) return true; // low surrogate without a high one before it
    const next = text.charCodeAt(i + 1);
    if (!(next >= 0xdc00 && next <= 0xdfff)) return true;
    i++;
  }
  return false;
}
