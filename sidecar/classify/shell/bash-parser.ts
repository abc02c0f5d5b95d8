/**
 * The one tree-sitter parser for bash, loaded once per process. Loading compiles two WASM
 * modules (the runtime and the grammar), which takes tens of milliseconds; parsing afterwards is
 * synchronous and fast, which is what a classifier on the data path needs.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { Language, Parser } from 'web-tree-sitter';

let parser: Parser | undefined;
let loading: Promise<void> | undefined;

/**
 * Loads web-tree-sitter and the `tree-sitter-bash` grammar shipped in its npm package. Idempotent:
 * concurrent and repeated calls share one load; a failed load may be retried.
 */
export function initShellClassifier(): Promise<void> {
  loading ??= load().catch((error: unknown) => {
    loading = undefined;
    throw error;
  });
  return loading;
}

async function load(): Promise<void> {
  const require = createRequire(import.meta.url);
  const grammarDir = path.dirname(require.resolve('tree-sitter-bash/package.json'));
  await Parser.init();
  const language = await Language.load(path.join(grammarDir, 'tree-sitter-bash.wasm'));
  const bash = new Parser();
  bash.setLanguage(language);
  parser = bash;
}

/** The loaded parser, or `undefined` before {@link initShellClassifier} has finished. */
export function bashParser(): Parser | undefined {
  return parser;
}
