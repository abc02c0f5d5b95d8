/**
 * Turns a MaskingRule spec into a CompiledMaskingRule or into errors a human can act on (the
 * operator's admission webhook shows them at `kubectl apply`). Everything that can be checked
 * without the HMAC key is checked by `validateMaskingRuleSpec`, which the webhook can call on its
 * own; `compileMaskingRule` additionally needs the key for strategy hash.
 */
import type { Identity } from '../core/command.js';
import { maskingRuleSpec, type MaskingRuleSpec } from '../../crds/schemas/masking-rule.js';
import { fromZodError, type CompileError } from '../policy/compile-error.js';
import { compileSubjects, subjectShapeErrors } from '../policy/subjects.js';
import { parseColumnSelector, type ColumnSelector } from './column-selector.js';
import { parseJsonPath, type JsonPath } from './json-path.js';
import { markerKind } from './markers.js';
import { builtinRegexSafety, PATTERN_FLAGS } from './regex-safety/index.js';
import { hashStrategy, partialStrategy, REDACT, type Strategy } from './strategies.js';
import type { CompiledPattern, CompileMaskingRuleOptions, CompileMaskingRuleResult } from './types.js';

/** HMAC keys shorter than this are refused: a short key makes the hashes guessable. */
export const MIN_HASH_KEY_BYTES = 16;

interface Validated {
  spec: MaskingRuleSpec;
  columns: ColumnSelector[];
  jsonPaths: JsonPath[];
  secretData: boolean;
  patterns: CompiledPattern[];
}

/**
 * Checks a spec without needing the HMAC key: schema (defaults applied), one selector kind per
 * field, parseable column selectors and JSON paths, safe and uniquely named custom patterns, a
 * `hashKeyRef` for strategy hash, and at least one thing to mask.
 */
export function validateMaskingRuleSpec(
  spec: unknown,
  options: Pick<CompileMaskingRuleOptions, 'regexSafety'> = {},
): { ok: true; spec: MaskingRuleSpec } | { ok: false; errors: CompileError[] } {
  const r = validate(spec, options);
  return r.ok ? { ok: true, spec: r.value.spec } : r;
}

/** Compiles a MaskingRule for the masker. Strategy hash needs `options.hashKey`. */
export function compileMaskingRule(
  ref: { namespace: string; name: string },
  spec: unknown,
  options: CompileMaskingRuleOptions = {},
): CompileMaskingRuleResult {
  const errors: CompileError[] = [];
  if (ref.namespace === '')
    errors.push({ path: 'metadata.namespace', message: 'a MaskingRule is namespaced' });
  if (ref.name === '') errors.push({ path: 'metadata.name', message: 'must not be empty' });
  const r = validate(spec, options);
  if (!r.ok) return { ok: false, errors: [...errors, ...r.errors] };
  const v = r.value;

  let strategy: Strategy;
  switch (v.spec.strategy) {
    case 'redact':
      strategy = REDACT;
      break;
    case 'partial':
      strategy = partialStrategy(v.spec.keepLast);
      break;
    case 'hash': {
      const key = options.hashKey;
      if (key === undefined) {
        errors.push({
          path: 'hashKeyRef',
          message: `the HMAC key (Secret ${v.spec.hashKeyRef?.name}, key ${v.spec.hashKeyRef?.key}) was not provided`,
        });
        strategy = REDACT;
      } else if (key.length < MIN_HASH_KEY_BYTES) {
        errors.push({
          path: 'hashKeyRef',
          message: `the HMAC key is ${key.length} bytes; at least ${MIN_HASH_KEY_BYTES} are needed`,
        });
        strategy = REDACT;
      } else {
        strategy = hashStrategy(key);
      }
      break;
    }
  }
  if (errors.length > 0) return { ok: false, errors };

  const everyone = v.spec.subjects.length === 0;
  const subjects = compileSubjects(v.spec.subjects, ref.namespace);
  return {
    ok: true,
    rule: Object.freeze({
      id: `${ref.namespace}/${ref.name}`,
      namespace: ref.namespace,
      name: ref.name,
      everyone,
      subjects,
      appliesTo: (identity: Identity) => everyone || subjects.matches(identity),
      strategy,
      columns: Object.freeze(v.columns),
      jsonPaths: Object.freeze(v.jsonPaths),
      secretData: v.secretData,
      detectors: Object.freeze([...new Set(v.spec.detectors)]),
      patterns: Object.freeze(v.patterns),
    }),
  };
}

function validate(
  spec: unknown,
  options: Pick<CompileMaskingRuleOptions, 'regexSafety'>,
): { ok: true; value: Validated } | { ok: false; errors: CompileError[] } {
  const parsed = maskingRuleSpec.safeParse(spec);
  if (!parsed.success) return { ok: false, errors: fromZodError(parsed.error) };
  const s = parsed.data;
  const errors: CompileError[] = [...subjectShapeErrors(s.subjects, 'subjects')];
  const columns: ColumnSelector[] = [];
  const jsonPaths: JsonPath[] = [];
  let secretData = false;

  s.fields.forEach((f, i) => {
    const path = `fields[${i}]`;
    const set = [f.column, f.jsonPath, f.kubernetes].filter((x) => x !== undefined).length;
    if (set !== 1) {
      errors.push({
        path,
        message: `a field selector sets exactly one of column, jsonPath or kubernetes (this one sets ${set})`,
      });
      return;
    }
    if (f.column !== undefined) {
      const c = parseColumnSelector(f.column);
      if (c.ok) columns.push(c.selector);
      else errors.push({ path: `${path}.column`, message: c.error });
    } else if (f.jsonPath !== undefined) {
      const p = parseJsonPath(f.jsonPath);
      if (p.ok) jsonPaths.push(p.path);
      else errors.push({ path: `${path}.jsonPath`, message: p.error });
    } else {
      secretData = true;
    }
  });

  const checker = options.regexSafety ?? builtinRegexSafety;
  const patterns: CompiledPattern[] = [];
  const names = new Map<string, number>();
  s.patterns.forEach((p, i) => {
    const kind = markerKind(p.name);
    const first = names.get(kind);
    if (first !== undefined) {
      errors.push({
        path: `patterns[${i}].name`,
        message: `"${p.name}" is the same marker name as patterns[${first}]`,
      });
    } else {
      names.set(kind, i);
    }
    const verdict = checker.check(p.regex);
    if (!verdict.ok) {
      errors.push({
        path: `patterns[${i}].regex`,
        message: `${verdict.reason} (custom patterns must run in linear time)`,
      });
      return;
    }
    patterns.push(Object.freeze({ name: p.name, kind, regex: new RegExp(p.regex, PATTERN_FLAGS) }));
  });

  if (s.strategy === 'hash' && s.hashKeyRef === undefined) {
    errors.push({
      path: 'hashKeyRef',
      message: 'strategy hash needs hashKeyRef (the Secret holding the HMAC key)',
    });
  }
  if (s.fields.length === 0 && s.detectors.length === 0 && s.patterns.length === 0) {
    errors.push({ path: '', message: 'a MaskingRule needs at least one of fields, detectors or patterns' });
  }
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, value: { spec: s, columns, jsonPaths, secretData, patterns } };
}
