/** Safety of custom masking patterns: see check-regex.ts for the rules and the guarantee. */
export {
  builtinRegexSafety,
  MAX_PATTERN_LENGTH,
  PATTERN_FLAGS,
  type RegexSafetyChecker,
  type RegexSafetyResult,
} from './check-regex.js';
export { parseRegex, RegexSyntaxError, type RegexNode } from './regex-ast.js';
