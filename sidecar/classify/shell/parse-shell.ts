/**
 * Every simple command a shell string runs, found with the real bash grammar (tree-sitter-bash)
 * instead of regexes: pipelines, lists, subshells, groups, `$(...)` and backticks (also inside
 * strings and arguments), process substitution, function bodies, compound commands, and
 * here-documents or here-strings that a shell reads. Wrappers are unwrapped recursively
 * (see `wrappers.ts`).
 *
 * Anything bash could read differently from this parser fails closed with a reason: syntax
 * errors, expansions where the program name goes, scripts that are not literals, unquoted
 * line continuations, NUL bytes and oversized input.
 */
import type { Node } from 'web-tree-sitter';
import { bashParser } from './bash-parser.js';
import { heredocBackquotes, heredocText, readHeredoc } from './heredoc.js';
import { LruCache } from '../../core/lru-cache.js';
import { unquotedLineContinuation } from './line-continuation.js';
import { evaluateWord, literalWord, type Word } from './word.js';
import { WRAPPERS, type Wrapped } from './wrappers.js';

/** One program invocation: its argv after quote removal (expansions keep their source text). */
export interface SimpleCommand {
  argv: string[];
}

export type ShellParse = { ok: true; commands: SimpleCommand[] } | { ok: false; reason: string };

/** Inputs larger than this are refused rather than parsed on the data path. */
export const MAX_SHELL_INPUT_BYTES = 64 * 1024;

/** How deep `bash -c "eval '...'"`-style nesting may go before the input is refused. */
export const MAX_SHELL_NESTING = 16;

/**
 * Time budget for one input, nested scripts included. tree-sitter-bash is slow on some shapes
 * (60 KiB of `a|a|...` takes over a second) and the classifier runs on the proxy's event loop;
 * past the budget the input fails closed. Typical commands take tens of microseconds.
 */
export const MAX_SHELL_MILLISECONDS = 50;

/** Syntax nodes per script beyond which the input fails closed instead of being walked. */
export const MAX_SHELL_SYNTAX_NODES = 10_000;

/** Results of recent parses, for inputs up to `CACHE_MAX_TEXT` characters. */
const cache = new LruCache<string, ShellParse>(1024);
const CACHE_MAX_TEXT = 4096;

class Rejected extends Error {}

/** Out of time: depends on the machine's load, so the result is not cached. */
class OutOfTime extends Rejected {
  constructor() {
    super(`the input takes longer than ${MAX_SHELL_MILLISECONDS} ms to classify`);
  }
}

/**
 * The grammar joined two lines that bash keeps apart; parse again with a `;` before that
 * newline, which bash reads the same way (a newline after a word ends the command, and a
 * here-document still starts on the next line).
 */
class Reparse extends Error {
  constructor(readonly offset: number) {
    super('reparse');
  }
}

const MAX_REPARSES = 8;

const reject = (reason: string): never => {
  throw new Rejected(reason);
};

const basename = (program: string): string => program.slice(program.lastIndexOf('/') + 1);

/** Where the commands of one input go, and when its time is up. */
interface Collector {
  commands: SimpleCommand[];
  /** `performance.now()` after which the whole input fails closed. */
  deadline: number;
}

/**
 * Records a program invocation and everything it runs in turn. Returns whether the innermost
 * program is a shell reading commands from standard input (so a here-document is its script).
 */
function runCommand(words: Word[], depth: number, out: Collector): boolean {
  if (words.length === 0) return false;
  if (depth > MAX_SHELL_NESTING) reject('commands are nested too deeply');
  const program = words[0] as Word;
  if (!program.literal || program.splits)
    reject(
      `the program name "${program.value}" is only known at run time (expansion or pattern in command position)`,
    );
  if (program.value === '') reject('empty program name');
  out.commands.push({ argv: words.filter((w) => !w.synthetic).map((w) => w.value) });
  const handler = WRAPPERS.get(basename(program.value));
  if (!handler) return false;
  let readsStdin = false;
  for (const wrapped of handler(program.value, words.slice(1)) as Wrapped[]) {
    switch (wrapped.kind) {
      case 'fail':
        reject(wrapped.reason);
        break;
      case 'command':
        if (runCommand(wrapped.words, depth + 1, out)) readsStdin = true;
        break;
      case 'script':
        parseInto(wrapped.source, depth + 1, out);
        break;
      case 'stdin-shell':
        readsStdin = true;
        break;
    }
  }
  return readsStdin;
}

/**
 * The words of a tree-sitter `command` node: name, then arguments, in source order, with the
 * `-` operands the grammar dropped (at `dashes` offsets) put back in place.
 */
function commandWords(node: Node, children: readonly Node[], dashes: readonly number[]): Word[] {
  const words: Word[] = [];
  let d = 0;
  for (let i = 0; i < children.length; i++) {
    const field = node.fieldNameForChild(i);
    if (field !== 'name' && field !== 'argument') continue;
    const child = children[i] as Node;
    for (; d < dashes.length && (dashes[d] as number) < child.startIndex; d++) words.push(literalWord('-'));
    const word = field === 'name' ? child.firstNamedChild : child;
    if (!word) reject('command without a name');
    words.push(evaluateWord(word as Node));
  }
  for (; d < dashes.length; d++) words.push(literalWord('-'));
  return words;
}

/** Nodes whose commands run in another context (their output is data, not a command). */
const SUBSTITUTIONS = new Set(['command_substitution', 'process_substitution']);

/** `command` nodes under `node`, not looking into substitutions. */
function directCommands(node: Node): Node[] {
  if (node.type === 'command') return [node];
  if (SUBSTITUTIONS.has(node.type) || node.type === 'heredoc_body') return [];
  return node.namedChildren.flatMap(directCommands);
}

/**
 * The commands that read a here-document or here-string: the redirected command, and the rest of
 * a pipeline written after `<<EOF` (`cat <<EOF | bash`), which reads its output.
 */
function stdinReaders(redirect: Node): Node[] {
  const parent = redirect.parent;
  if (!parent) return [];
  const readers: Node[] = [];
  if (parent.type === 'command') readers.push(parent);
  else if (parent.type === 'redirected_statement') {
    const body = parent.childForFieldName('body');
    if (body) readers.push(...directCommands(body));
  } else readers.push(...directCommands(parent));
  for (const c of redirect.namedChildren) if (c.type === 'pipeline') readers.push(...directCommands(c));
  return readers;
}

function firstSyntaxError(root: Node): string {
  const stack: Node[] = [root];
  while (stack.length > 0) {
    const n = stack.pop() as Node;
    if (n.isError || n.isMissing) {
      const where = `line ${n.startPosition.row + 1}, column ${n.startPosition.column + 1}`;
      if (n.isMissing) return `syntax error: missing "${n.type}" at ${where}`;
      const near = n.text.length > 40 ? `${n.text.slice(0, 40)}...` : n.text;
      return `syntax error at ${where} near "${near}"`;
    }
    if (n.hasError) for (let i = n.childCount - 1; i >= 0; i--) stack.push(n.child(i) as Node);
  }
  return 'syntax error';
}

/** Parses `source` as bash and records every command it runs into `out`. */
function parseInto(source: string, depth: number, out: Collector): void {
  if (depth > MAX_SHELL_NESTING) reject('commands are nested too deeply');
  if (source.includes('\0')) reject('input contains a NUL byte');
  const parser = bashParser();
  if (!parser) return reject('the shell classifier is not initialised (call initShellClassifier first)');
  const mark = out.commands.length;
  for (let attempt = 0; ; attempt++) {
    const tree = parser.parse(source, null, { progressCallback: () => performance.now() > out.deadline });
    if (!tree) {
      parser.reset();
      throw new OutOfTime();
    }
    try {
      const root = tree.rootNode;
      if (root.descendantCount > MAX_SHELL_SYNTAX_NODES)
        reject(`the input has more than ${MAX_SHELL_SYNTAX_NODES} syntax nodes`);
      if (root.hasError) reject(firstSyntaxError(root));
      const continuation = unquotedLineContinuation(root, source);
      if (continuation >= 0)
        reject(`unquoted backslash-newline at offset ${continuation} (bash joins the lines)`);
      walk(root, source, depth, out);
      return;
    } catch (error) {
      if (!(error instanceof Reparse)) throw error;
      if (attempt >= MAX_REPARSES)
        reject(`the parser joins lines that bash keeps apart (offset ${error.offset})`);
      out.commands.length = mark;
      source = `${source.slice(0, error.offset)};${source.slice(error.offset)}`;
    } finally {
      tree.delete();
    }
  }
}

/**
 * Nodes an unquoted newline ends in bash, unless it follows an operator that asks for more
 * (`a |<NL> b`, `a &&<NL> b`). tree-sitter-bash sometimes makes the next line's command an
 * argument of the last stage of a pipeline (`a | b | c<NL>d || e`).
 */
const ONE_LINE = new Set([
  'command',
  'declaration_command',
  'unset_command',
  'redirected_statement',
  'pipeline',
  'list',
  'variable_assignment',
  'concatenation',
  'negated_command',
]);
const NEWLINE_ALLOWED_AFTER = new Set(['|', '|&', '&&', '||']);

/** A lone `-` right before `<<` (`kubectl apply -f - <<EOF`), which tree-sitter-bash drops. */
const DASH_BEFORE_HEREDOC = /^[ \t]*-[ \t]*$/;

/**
 * tree-sitter-bash skips some characters it cannot place (`ls<NL>\\ rm`) and glues others into
 * words (`ls<NL>\\jq` becomes one argument of `ls`, where bash runs `jq`). In shell code, text
 * between tokens may only be whitespace and a bare word holds no unescaped blank; anything else
 * means the parser and bash disagree, so the input fails closed. The one known harmless gap, a
 * `-` operand right before a here-document, is given back to its command through `dash`.
 */
function checkCoverage(
  node: Node,
  type: string,
  children: readonly Node[],
  source: string,
  dash: (command: Node, offset: number) => void,
): void {
  if (children.length === 0) {
    if (type === 'heredoc_start' || type === 'heredoc_end') return;
    const text = node.text;
    for (let i = 0; i < text.length; i++) {
      if (text[i] === '\\') i++;
      else if (text[i] === ' ' || text[i] === '\t' || text[i] === '\n')
        reject(`the parser and bash disagree about the word "${text}"`);
    }
    return;
  }
  const gap = (from: number, to: number, previous: Node | undefined): void => {
    const text = source.slice(from, to);
    if (text.includes('\n') && ONE_LINE.has(type) && !NEWLINE_ALLOWED_AFTER.has(previous?.type ?? ''))
      throw new Reparse(from + text.indexOf('\n'));
    if (!/[^ \t\n\r]/.test(text)) return;
    const owner = type === 'redirected_statement' ? node.childForFieldName('body') : node;
    if (DASH_BEFORE_HEREDOC.test(text) && /^<<(?!<)/.test(source.slice(to)) && owner?.type === 'command')
      return dash(owner, from + text.indexOf('-'));
    reject(`the parser skipped "${text}" at offset ${from}`);
  };
  let at = node.startIndex;
  for (let i = 0; i < children.length; i++) {
    const child = children[i] as Node;
    if (child.startIndex > at) gap(at, child.startIndex, children[i - 1]);
    at = Math.max(at, child.endIndex);
  }
  const end = node.endIndex;
  if (end > at) gap(at, end, children[children.length - 1]);
}

/** Nodes that start shell code again, even inside a string or a here-document. */
const CODE = new Set(['program', 'command_substitution', 'process_substitution']);
/** Nodes whose text is data for the shell that reads them. */
const DATA = new Set([
  'string',
  'raw_string',
  'ansi_c_string',
  'translated_string',
  'heredoc_body',
  'comment',
]);

/** Pre-order walk: commands are recorded in the order they are written. */
function walk(root: Node, source: string, depth: number, out: Collector): void {
  const readsStdin = new Map<number, boolean>();
  const dashes = new Map<number, number[]>();
  const addDash = (command: Node, offset: number): void => {
    dashes.set(command.id, [...(dashes.get(command.id) ?? []), offset]);
  };
  const redirects: Node[] = [];
  const stack: Array<[Node, boolean]> = [[root, false]];
  for (let visited = 1; stack.length > 0; visited++) {
    if (visited % 512 === 0 && performance.now() > out.deadline) throw new OutOfTime();
    const [node, parentData] = stack.pop() as [Node, boolean];
    // Each property of a web-tree-sitter node is a call into WASM: read each once.
    const type = node.type;
    const children = node.children;
    const data = CODE.has(type) ? false : DATA.has(type) || parentData;
    if (!data) checkCoverage(node, type, children, source, addDash);
    switch (type) {
      case 'command':
        readsStdin.set(
          node.id,
          runCommand(commandWords(node, children, dashes.get(node.id) ?? []), depth, out),
        );
        break;
      case 'declaration_command':
      case 'unset_command': {
        // export, declare, local, readonly, typeset, unset: builtins, though the grammar names them apart.
        const keyword = children[0];
        if (keyword) out.commands.push({ argv: [keyword.text, ...node.namedChildren.map((c) => c.text)] });
        break;
      }
      case 'test_command':
        if (children[0]?.type === '[')
          out.commands.push({ argv: ['[', ...node.namedChildren.map((c) => c.text)] });
        break;
      case 'heredoc_redirect':
      case 'herestring_redirect':
        redirects.push(node);
        break;
    }
    for (let i = children.length - 1; i >= 0; i--) stack.push([children[i] as Node, data]);
  }
  for (const redirect of redirects) {
    const fedToShell = stdinReaders(redirect).some((c) => readsStdin.get(c.id) === true);
    if (redirect.type === 'heredoc_redirect') {
      const shape = readHeredoc(redirect);
      if (typeof shape === 'string') return reject(shape);
      const backquotes = heredocBackquotes(shape);
      if ('reason' in backquotes) return reject(backquotes.reason);
      for (const script of backquotes.scripts) parseInto(script, depth + 1, out);
      if (fedToShell) {
        const text = heredocText(shape);
        if ('reason' in text) reject(text.reason);
        else parseInto(text.text, depth + 1, out);
      }
    } else if (fedToShell) {
      const operand = redirect.namedChildren[0];
      const word = operand ? evaluateWord(operand) : undefined;
      if (!word?.literal) reject('a here-string fed to a shell is not a literal');
      else parseInto(`${word.value}\n`, depth + 1, out);
    }
  }
}

function guarded(run: (out: Collector) => void): { result: ShellParse; transient: boolean } {
  const out: Collector = { commands: [], deadline: performance.now() + MAX_SHELL_MILLISECONDS };
  try {
    run(out);
    return { result: { ok: true, commands: out.commands }, transient: false };
  } catch (error) {
    if (error instanceof Rejected)
      return { result: { ok: false, reason: error.message }, transient: error instanceof OutOfTime };
    // Anything else (a grammar surprise, a stack overflow on absurd nesting) also fails closed.
    const reason = `internal error: ${error instanceof Error ? error.message : String(error)}`;
    return { result: { ok: false, reason }, transient: false };
  }
}

/**
 * Parses a shell command string (an SSH exec request, a `bash -c` script) into every simple
 * command it would run, wrappers unwrapped: `sudo -u pg psql` yields both `sudo ...` and
 * `psql ...`. Synchronous; {@link initShellClassifier} must have finished first (before that, every
 * input fails closed).
 */
export function parseShell(text: string): ShellParse {
  const cacheable = text.length <= CACHE_MAX_TEXT && bashParser() !== undefined;
  let result = cacheable ? cache.get(text) : undefined;
  if (!result) {
    const parsed = guarded((out) => {
      if (text.length > MAX_SHELL_INPUT_BYTES || Buffer.byteLength(text, 'utf8') > MAX_SHELL_INPUT_BYTES)
        reject(`input is larger than ${MAX_SHELL_INPUT_BYTES} bytes`);
      parseInto(text, 0, out);
    });
    result = parsed.result;
    if (cacheable && !parsed.transient) cache.set(text, result);
  }
  // Callers own what they get back; the cached value stays untouched.
  return result.ok
    ? { ok: true, commands: result.commands.map((c) => ({ argv: [...c.argv] })) }
    : { ...result };
}

/**
 * The same analysis for an argv that is executed directly, without a shell (a Kubernetes exec
 * request's `command=` parameters): no quoting or expansion applies, but `sh -c SCRIPT`, `env`,
 * `sudo` and the other wrappers are still followed.
 */
export function parseArgv(argv: readonly string[]): ShellParse {
  return guarded((out) => {
    const size = argv.reduce((n, a) => n + Buffer.byteLength(a, 'utf8') + 1, 0);
    if (size > MAX_SHELL_INPUT_BYTES) reject(`argv is larger than ${MAX_SHELL_INPUT_BYTES} bytes`);
    if (argv.some((a) => a.includes('\0'))) reject('argv contains a NUL byte');
    runCommand(argv.map(literalWord), 0, out);
  }).result;
}
