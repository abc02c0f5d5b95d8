/**
 * The masking engine: MaskingRules compiled once, applied per identity to result rows, JSON bodies
 * and free text before a byte reaches the agent. Pure: no network, no clock.
 */
export { compileMaskingRule, validateMaskingRuleSpec, MIN_HASH_KEY_BYTES } from './compile-masking-rule.js';
export { maskerFor } from './masker.js';
export { DETECTORS, luhnValid, ibanChecksumValid, type DetectorFn, type Span } from './detectors/index.js';
export {
  partialMask,
  hashMask,
  REDACT,
  partialStrategy,
  hashStrategy,
  type Strategy,
  type StrategyName,
} from './strategies.js';
export { FIELD_MARKER, spanMarker, isHashMarker } from './markers.js';
export { parseJsonPath, type JsonPath, type PathSegment } from './json-path.js';
export {
  parseColumnSelector,
  columnMatches,
  type ColumnSelector,
  type ResultColumn,
} from './column-selector.js';
export { builtinRegexSafety, type RegexSafetyChecker, type RegexSafetyResult } from './regex-safety/index.js';
export type {
  CompiledMaskingRule,
  CompiledPattern,
  CompileMaskingRuleOptions,
  CompileMaskingRuleResult,
  Masker,
  MaskingCompileError,
} from './types.js';
