/**
 * Here-documents, checked against bash's own rules (bash manual, 3.6.6 "Here Documents"):
 * the delimiter is the word after `<<` with quotes removed; if any part of it is quoted the body
 * is taken literally, otherwise the body undergoes expansion and `\` only escapes `$`, `` ` ``,
 * `\` and newline; `<<-` strips leading tabs; the body ends at the first line equal to the
 * delimiter.
 *
 * tree-sitter-bash is lenient about where a body ends (it accepts `EOF ` and `  EOF`). Ending early
 * only makes it see more commands than bash runs, which is safe; ending late would hide commands,
 * so a body holding a line bash would end at fails closed.
 */
import type { Node } from 'web-tree-sitter';

export interface HeredocShape {
  delimiter: string;
  /** Any part of the delimiter was quoted: the body is literal text. */
  quoted: boolean;
  stripTabs: boolean;
  body: Node | undefined;
}

function removeQuotes(word: string): string {
  let out = '';
  for (let i = 0; i < word.length; i++) {
    const c = word[i] as string;
    if (c === '\\' && i + 1 < word.length) {
      out += word[++i];
    } else if (c === "'" || c === '"') {
      const close = word.indexOf(c, i + 1);
      if (close < 0) return out + word.slice(i + 1);
      out += word.slice(i + 1, close);
      i = close;
    } else {
      out += c;
    }
  }
  return out;
}

/** Reads a `heredoc_redirect` node, or explains why bash might read it differently. */
export function readHeredoc(node: Node): HeredocShape | string {
  let start: Node | undefined;
  let end: Node | undefined;
  let body: Node | undefined;
  let stripTabs = false;
  for (const c of node.children) {
    if (c.type === 'heredoc_start') start = c;
    else if (c.type === 'heredoc_end') end = c;
    else if (c.type === 'heredoc_body') body = c;
    else if (c.type === '<<-') stripTabs = true;
  }
  if (!start) return 'here-document without a delimiter';
  const delimiter = removeQuotes(start.text);
  const quoted = /['"\\]/.test(start.text);
  if (!end || end.text !== delimiter) return `here-document delimiter "${delimiter}" does not match its end`;
  if (body) {
    for (const line of body.text.split('\n')) {
      if ((stripTabs ? line.replace(/^\t+/, '') : line) === delimiter)
        return `here-document "${delimiter}" ends earlier than the parser thinks`;
    }
  }
  return { delimiter, quoted, stripTabs, body };
}

/**
 * The text a shell reading this here-document gets. For an unquoted delimiter the outer shell
 * expands the body first, so any expansion in it makes the text unknown: the result is a
 * reason to fail instead.
 */
export function heredocText(shape: HeredocShape): { text: string } | { reason: string } {
  const raw = shape.body?.text ?? '';
  const lines = shape.stripTabs ? raw.replace(/^\t+/gm, '') : raw;
  if (shape.quoted) return { text: lines };
  if (shape.body?.namedChildren.some((c) => c.type !== 'heredoc_content'))
    return { reason: 'a here-document fed to a shell contains expansions' };
  let text = '';
  for (let i = 0; i < lines.length; i++) {
    const c = lines[i] as string;
    const next = lines[i + 1];
    if (c === '\\' && next !== undefined && '$`\\\n'.includes(next)) {
      if (next !== '\n') text += next;
      i++;
    } else if (c === '`' || (c === '$' && next !== undefined && /[A-Za-z0-9_{(@*#?$!-]/.test(next))) {
      return { reason: 'a here-document fed to a shell contains expansions' };
    } else {
      text += c;
    }
  }
  return { text };
}

/** Text of `body` that tree-sitter did not parse into expansions (the `heredoc_content` runs and gaps). */
function plainRuns(body: Node): string[] {
  const text = body.text;
  const runs: string[] = [];
  let at = body.startIndex;
  for (const c of body.namedChildren) {
    if (c.startIndex > at) runs.push(text.slice(at - body.startIndex, c.startIndex - body.startIndex));
    if (c.type === 'heredoc_content') runs.push(c.text);
    at = Math.max(at, c.endIndex);
  }
  if (body.endIndex > at) runs.push(text.slice(at - body.startIndex));
  return runs;
}

/**
 * The scripts of the backquoted command substitutions in an unquoted here-document body, which
 * bash runs but tree-sitter-bash leaves as plain text. Inside backquotes a backslash escapes
 * `` ` ``, `\` and `$` (bash manual, 3.5.4 "Command Substitution"). A `$(` that tree-sitter
 * left as text is a grammar gap and fails closed.
 */
export function heredocBackquotes(shape: HeredocShape): { scripts: string[] } | { reason: string } {
  if (shape.quoted || !shape.body) return { scripts: [] };
  for (const run of plainRuns(shape.body)) {
    for (let i = 0; i < run.length; i++) {
      if (run[i] === '\\') i++;
      else if (run[i] === '$' && run[i + 1] === '(')
        return { reason: 'a here-document holds a command substitution the parser missed' };
    }
  }
  const text = shape.body.text;
  const scripts: string[] = [];
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '\\') {
      i++;
      continue;
    }
    if (text[i] !== '`') continue;
    let script = '';
    let j = i + 1;
    for (; j < text.length && text[j] !== '`'; j++) {
      const next = text[j + 1];
      if (text[j] === '\\' && next !== undefined && '`\\$'.includes(next)) {
        script += next;
        j++;
      } else {
        script += text[j];
      }
    }
    if (j >= text.length) return { reason: 'unterminated backquote in a here-document' };
    scripts.push(script);
    i = j;
  }
  return { scripts };
}
