/**
 * The compiled form of a MaskingRule and the masker the sidecar applies to results. Compiled once
 * per rule change; the masker is built once per session (identity) and applied to every row, body
 * and text.
 */
import type { Detector } from '../../crds/schemas/masking-rule.js';
import type { Identity } from '../core/command.js';
import type { CompileError } from '../policy/compile-error.js';
import type { SubjectMatcher } from '../policy/subjects.js';
import type { ColumnSelector, ResultColumn } from './column-selector.js';
import type { JsonPath } from './json-path.js';
import type { RegexSafetyChecker } from './regex-safety/index.js';
import type { Strategy } from './strategies.js';

/** A custom pattern, checked for linear-time safety and compiled with flags `gu`. */
export interface CompiledPattern {
  readonly name: string;
  /** The name as it appears in markers (`[REDACTED:<kind>]`). */
  readonly kind: string;
  readonly regex: RegExp;
}

export interface CompiledMaskingRule {
  /** `namespace/name`, as AccessPolicy decisions list it in `masking`. */
  readonly id: string;
  readonly namespace: string;
  readonly name: string;
  /** True when `subjects` is empty: the rule masks for everyone. */
  readonly everyone: boolean;
  readonly subjects: SubjectMatcher;
  /** Whether the rule masks for `identity`: `subjects` is empty or one of them designates it. */
  appliesTo(identity: Identity): boolean;
  readonly strategy: Strategy;
  readonly columns: readonly ColumnSelector[];
  readonly jsonPaths: readonly JsonPath[];
  readonly secretData: boolean;
  readonly detectors: readonly Detector[];
  readonly patterns: readonly CompiledPattern[];
}

export type MaskingCompileError = CompileError;

export type CompileMaskingRuleResult =
  { ok: true; rule: CompiledMaskingRule } | { ok: false; errors: MaskingCompileError[] };

export interface CompileMaskingRuleOptions {
  /** The HMAC key from `hashKeyRef` (strategy hash); at least 16 bytes. */
  hashKey?: Uint8Array;
  /** Replaces the built-in custom-pattern checker (e.g. with one backed by RE2). */
  regexSafety?: RegexSafetyChecker;
}

/** The masks for one identity: every applicable rule, merged. */
export interface Masker {
  /** False when no rule applies to the identity: every method returns its input unchanged. */
  readonly active: boolean;
  /**
   * Masks one result row: selected columns whole, then detectors and patterns over the other
   * non-null values. Returns the input array itself when nothing changed; never mutates it.
   */
  maskRow(
    columns: readonly ResultColumn[],
    values: readonly (string | null)[],
  ): { values: (string | null)[]; maskedFields: number };
  /**
   * Masks a JSON document: JSONPath selections and Kubernetes Secret data whole, then detectors
   * and patterns over every other string (and integer) leaf and every object key. Copy-on-write.
   */
  maskJson(value: unknown): { value: unknown; maskedFields: number };
  /** Masks free text (an SSH session, a log line): detectors and patterns only. */
  maskText(text: string): { text: string; maskedFields: number };
}
