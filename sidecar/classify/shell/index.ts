/** Shell classification (DESIGN.md §4, SSH exec and `kubectl exec` argv). */
export { initShellClassifier } from './bash-parser.js';
export { classifyArgv, classifyShell, programNames } from './classify-shell.js';
export {
  MAX_SHELL_INPUT_BYTES,
  MAX_SHELL_MILLISECONDS,
  MAX_SHELL_NESTING,
  MAX_SHELL_SYNTAX_NODES,
  parseArgv,
  parseShell,
  type ShellParse,
  type SimpleCommand,
} from './parse-shell.js';
