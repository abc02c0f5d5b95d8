/**
 * One shell word after quote removal, as bash would hand it to `execve`, plus what we cannot know
 * statically about it. The classifier needs both: `'r''m'` and `\rm` are the program `rm`, while
 * `$CMD` or `/bin/r?` could be any program and must fail closed in command position.
 *
 * Quote removal follows the bash manual, "Quoting" (3.1.2) and "Shell Expansions" (3.5).
 */
import type { Node } from 'web-tree-sitter';
import { decodeAnsiC } from './ansi-c-string.js';

export interface Word {
  /** The word after quote removal; expansions keep their source text (`$HOME`). */
  value: string;
  /** No part of the word is expanded at run time, so `value` is exactly what the program gets. */
  literal: boolean;
  /**
   * The word may become zero or several words at run time: an unquoted expansion (word
   * splitting), a glob (`*`, `?`, `[`) or a brace expansion (`{a,b}`).
   */
  splits: boolean;
  /** The known text before the first run-time part (equal to `value` when `literal`). */
  prefix: string;
  /** Stands for run-time input that is not written in the command (xargs' appended words). */
  synthetic?: true;
}

/** A word known in full, such as an argv element from a Kubernetes exec request. */
export function literalWord(value: string): Word {
  return { value, literal: true, splits: false, prefix: value };
}

class WordBuilder {
  value = '';
  literal = true;
  splits = false;
  prefix = '';
  /** Brace-expansion state; it spans the parts of a concatenation (`r{m,}` is three nodes). */
  braceOpen = false;
  braceList = false;

  known(text: string): void {
    this.value += text;
    if (this.literal) this.prefix += text;
  }

  /**
   * A part whose value is only known at run time; `unquoted` parts also split into words.
   * `knownStart` is what the expansion is known to begin with (`/dev/fd/` for `<(...)`).
   */
  runtime(source: string, unquoted: boolean, knownStart = ''): void {
    if (this.literal) this.prefix += knownStart;
    this.value += source;
    this.literal = false;
    if (unquoted) this.splits = true;
  }

  build(): Word {
    return { value: this.value, literal: this.literal, splits: this.splits, prefix: this.prefix };
  }
}

/** `$` followed by one of these starts a parameter, command or arithmetic expansion. */
const EXPANSION_START = /[A-Za-z0-9_{(@*#?$!-]/;

/**
 * Unquoted text: backslash escapes any character; glob characters and brace expansions make the
 * word's value unknown. tree-sitter already splits expansions out of `word` nodes; a `$` or a
 * backtick that still reaches here is treated as an expansion, so a grammar gap fails closed.
 */
function unquoted(text: string, out: WordBuilder): void {
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (c === '\\') {
      if (i + 1 < text.length) {
        const next = text[i + 1] as string;
        // A backslash-newline is a line continuation and vanishes (callers reject it before).
        if (next !== '\n') out.known(next);
        i++;
      } else {
        out.known(c);
      }
    } else if (c === '*' || c === '?' || c === '[') {
      out.runtime(c, true);
    } else if (
      c === '(' ||
      c === ')' ||
      c === '`' ||
      (c === '$' && EXPANSION_START.test(text[i + 1] ?? ''))
    ) {
      out.runtime(c, true);
    } else if (c === '{') {
      out.braceOpen = true;
      out.braceList = false;
      out.known(c);
    } else if (c === '}' && out.braceOpen && out.braceList) {
      out.runtime(c, true);
      out.braceOpen = false;
    } else {
      if (out.braceOpen && (c === ',' || (c === '.' && text[i + 1] === '.'))) out.braceList = true;
      out.known(c);
    }
  }
}

/**
 * The content of a double-quoted string: backslash only escapes `$`, `` ` ``, `"`, `\` and
 * newline (a backslash-newline vanishes); every other backslash stays.
 */
function doubleQuoted(text: string, out: WordBuilder): void {
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    const next = text[i + 1];
    if (c === '\\' && next !== undefined && '$`"\\\n'.includes(next)) {
      if (next !== '\n') out.known(next);
      i++;
    } else if (c === '`' || (c === '$' && EXPANSION_START.test(next ?? ''))) {
      out.runtime(c, false);
    } else {
      out.known(c);
    }
  }
}

/** Walks the named children of `node`, handing the text between them to `gap`. */
function withGaps(
  node: Node,
  innerStart: number,
  innerEnd: number,
  gap: (text: string) => void,
  child: (child: Node) => void,
): void {
  const source = node.text;
  const base = node.startIndex;
  let at = innerStart;
  for (const c of node.namedChildren) {
    if (c.startIndex > at) gap(source.slice(at - base, c.startIndex - base));
    child(c);
    at = Math.max(at, c.endIndex);
  }
  if (innerEnd > at) gap(source.slice(at - base, innerEnd - base));
}

function evaluate(node: Node, out: WordBuilder): void {
  const text = node.text;
  switch (node.type) {
    case 'word':
    case 'number':
      unquoted(text, out);
      return;
    case 'raw_string':
      if (text.length >= 2 && text.endsWith("'")) out.known(text.slice(1, -1));
      else out.runtime(text, true);
      return;
    case 'ansi_c_string':
      if (text.length >= 3 && text.startsWith("$'") && text.endsWith("'"))
        out.known(decodeAnsiC(text.slice(2, -1)));
      else out.runtime(text, true);
      return;
    case 'string':
      if (text.length < 2 || !text.startsWith('"') || !text.endsWith('"')) {
        out.runtime(text, true);
        return;
      }
      withGaps(
        node,
        node.startIndex + 1,
        node.endIndex - 1,
        (gap) => doubleQuoted(gap, out),
        (c) => (c.type === 'string_content' ? doubleQuoted(c.text, out) : out.runtime(c.text, false)),
      );
      return;
    case 'concatenation':
      withGaps(
        node,
        node.startIndex,
        node.endIndex,
        (gap) => unquoted(gap, out),
        (c) => evaluate(c, out),
      );
      return;
    case 'translated_string':
      // Looked up in a message catalogue at run time; one word.
      out.runtime(text, false);
      return;
    case 'process_substitution':
      // Becomes one `/dev/fd/N` path (bash manual, 3.5.6 "Process Substitution").
      out.runtime(text, false, '/dev/fd/');
      return;
    default:
      // Parameter, command and arithmetic expansions, brace expressions and anything unexpected.
      out.runtime(text, true);
  }
}

/** The word a tree-sitter argument node stands for. */
export function evaluateWord(node: Node): Word {
  const out = new WordBuilder();
  evaluate(node, out);
  return out.build();
}
