/**
 * Unquoted backslash-newlines. bash removes `\<newline>` before it splits words, so
 * `r\<newline>m -rf /` runs `rm`; tree-sitter-bash instead treats the continuation as
 * whitespace and sees the two commands `r` and `m`. The two disagree on what runs, so any such
 * continuation fails closed (bash manual, 3.1.2.1 "Escape Character").
 *
 * A continuation is harmless where bash keeps it or where it only joins data: inside single
 * quotes and `$'...'`, inside a here-document body, and in a comment (bash ends a comment at the
 * newline). Inside double quotes bash removes it too, and the word decoder does the same, so the
 * decoded word is right there.
 */
import type { Node } from 'web-tree-sitter';

/** Nodes in which a backslash-newline cannot join two shell tokens. */
const DATA_CONTEXTS = new Set([
  'raw_string',
  'ansi_c_string',
  'string',
  'translated_string',
  'heredoc_body',
  'heredoc_content',
  'comment',
]);

/** Nodes that start shell code again, even inside a string or a here-document. */
const CODE_CONTEXTS = new Set([
  'command_substitution',
  'process_substitution',
  'arithmetic_expansion',
  'expansion',
]);

function inDataContext(node: Node | null): boolean {
  for (let n = node; n; n = n.parent) {
    if (CODE_CONTEXTS.has(n.type)) return false;
    if (DATA_CONTEXTS.has(n.type)) return true;
  }
  return false;
}

/**
 * The offset of the first backslash-newline that bash would treat as a line continuation outside
 * of quotes, or -1. A backslash that is itself escaped (`\\<newline>`) is not a continuation.
 */
export function unquotedLineContinuation(root: Node, source: string): number {
  for (let at = source.indexOf('\\\n'); at >= 0; at = source.indexOf('\\\n', at + 1)) {
    let run = 1;
    while (at - run >= 0 && source[at - run] === '\\') run++;
    if (run % 2 === 0) continue;
    if (!inDataContext(root.descendantForIndex(at, at + 1))) return at;
  }
  return -1;
}
