/**
 * Shell text to a {@link Classification}: the operation is `exec` and the resources are the
 * programs it runs, so a rule can say "allow `ls`, `cat`, `grep`; send `rm` for approval".
 * Anything that does not parse cleanly is `unparseable`, which the engine denies by default.
 */
import { UNPARSEABLE, type Classification } from '../../core/command.js';
import { parseArgv, parseShell, type ShellParse, type SimpleCommand } from './parse-shell.js';

/**
 * Program names in order of appearance, without repeats: each as its basename (`rm`), followed by
 * the path as written when one was given (`/usr/bin/rm`), so rules can match either.
 */
export function programNames(commands: readonly SimpleCommand[]): string[] {
  const names = new Set<string>();
  for (const { argv } of commands) {
    const program = argv[0];
    if (program === undefined) continue;
    names.add(program.slice(program.lastIndexOf('/') + 1));
    if (program.includes('/')) names.add(program);
  }
  return [...names];
}

function toClassification(parsed: ShellParse, text: string): Classification {
  if (!parsed.ok)
    return { operations: [UNPARSEABLE], resources: [], text, attributes: { parseError: parsed.reason } };
  return { operations: ['exec'], resources: programNames(parsed.commands), text, attributes: {} };
}

/**
 * Classifies a shell command string. Never throws; before {@link initShellClassifier} has
 * resolved every input is unparseable.
 */
export function classifyShell(text: string): Classification {
  return toClassification(parseShell(text), text);
}

/** Classifies an argv executed without a shell (the text is the argv joined with spaces). */
export function classifyArgv(argv: readonly string[]): Classification {
  return toClassification(parseArgv(argv), argv.join(' '));
}
