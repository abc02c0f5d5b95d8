/**
 * Builds the masker for one identity out of the compiled MaskingRules a decision names. Rules whose
 * subjects do not include the identity are left out; with none left the masker is a no-op that
 * returns its inputs untouched. When several rules touch the same value the strictest strategy
 * wins (redact > hash > partial).
 */
import type { Detector } from '../../crds/schemas/masking-rule.js';
import type { Identity } from '../core/command.js';
import { columnMatches, type ColumnSelector, type ResultColumn } from './column-selector.js';
import { DETECTORS } from './detectors/index.js';
import type { Span } from './detectors/span.js';
import { segmentMatches, type JsonPath } from './json-path.js';
import { protectedRegionFinder } from './markers.js';
import { setOwn } from './own-property.js';
import { makeTextScanner, type Finder, type TextScanner } from './scan-text.js';
import { isObject, isSecret, isSecretList, maskSecretFields } from './secret-data.js';
import { REDACT, stricter, type Strategy } from './strategies.js';
import type { CompiledMaskingRule, Masker } from './types.js';

/** Detector order decides the marker kind when findings of two detectors start together. */
const DETECTOR_ORDER: readonly Detector[] = [
  'pemPrivateKey',
  'jwt',
  'awsAccessKey',
  'creditCard',
  'iban',
  'usSsn',
  'email',
  'phone',
];

const NOOP: Masker = Object.freeze({
  active: false,
  maskRow: (_columns: readonly ResultColumn[], values: readonly (string | null)[]) => ({
    values: values as (string | null)[],
    maskedFields: 0,
  }),
  maskJson: (value: unknown) => ({ value, maskedFields: 0 }),
  maskText: (text: string) => ({ text, maskedFields: 0 }),
});

/** The masker for `identity` from `rules` (typically the MaskingRules a Decision names). */
export function maskerFor(rules: readonly CompiledMaskingRule[], identity: Identity): Masker {
  const applicable = rules.filter((r) => r.appliesTo(identity));
  if (applicable.length === 0) return NOOP;

  const columns: { selector: ColumnSelector; strategy: Strategy }[] = [];
  const paths: { path: JsonPath; strategy: Strategy }[] = [];
  let secretStrategy: Strategy | undefined;
  const detectors = new Map<Detector, Strategy>();
  const customFinders: Finder[] = [];

  for (const r of applicable) {
    for (const selector of r.columns) columns.push({ selector, strategy: r.strategy });
    for (const path of r.jsonPaths) paths.push({ path, strategy: r.strategy });
    if (r.secretData)
      secretStrategy = secretStrategy === undefined ? r.strategy : stricter(secretStrategy, r.strategy);
    for (const d of r.detectors) {
      const s = detectors.get(d);
      detectors.set(d, s === undefined ? r.strategy : stricter(s, r.strategy));
    }
    // Partial masking of a custom pattern's match could leave a tail the pattern matches again, so
    // custom patterns under `partial` are redacted (see docs/policy-language.md).
    const patternStrategy = r.strategy.name === 'partial' ? REDACT : r.strategy;
    for (const p of r.patterns) {
      customFinders.push({
        kind: p.kind,
        strategy: patternStrategy,
        custom: true,
        find: regexFinder(p.regex),
      });
    }
  }

  const finders: Finder[] = [];
  for (const d of DETECTOR_ORDER) {
    const strategy = detectors.get(d);
    if (strategy !== undefined) finders.push({ kind: d, strategy, custom: false, find: DETECTORS[d] });
  }
  finders.push(...customFinders);
  const scan = makeTextScanner(finders, protectedRegionFinder(finders.map((f) => f.kind)));

  return Object.freeze({
    active: true,
    maskRow: rowMasker(columns, scan),
    maskJson: jsonMasker(paths, secretStrategy, scan),
    maskText: (text: string) => {
      const r = scan(text);
      return { text: r.text, maskedFields: r.count };
    },
  });
}

function regexFinder(source: RegExp): (text: string) => Span[] {
  const re = new RegExp(source.source, source.flags);
  return (text) => {
    const spans: Span[] = [];
    re.lastIndex = 0;
    for (let m = re.exec(text); m !== null; m = re.exec(text)) {
      if (m[0].length === 0) {
        re.lastIndex++;
        continue;
      }
      spans.push({ start: m.index, end: m.index + m[0].length });
    }
    return spans;
  };
}

function rowMasker(
  columns: readonly { selector: ColumnSelector; strategy: Strategy }[],
  scan: TextScanner,
): Masker['maskRow'] {
  let lastColumns: readonly ResultColumn[] | undefined;
  let lastPlan: (Strategy | undefined)[] = [];
  const planFor = (cols: readonly ResultColumn[]): (Strategy | undefined)[] => {
    if (cols === lastColumns) return lastPlan;
    lastPlan = cols.map((c) => {
      let s: Strategy | undefined;
      for (const sel of columns)
        if (columnMatches(sel.selector, c)) s = s === undefined ? sel.strategy : stricter(s, sel.strategy);
      return s;
    });
    lastColumns = cols;
    return lastPlan;
  };
  return (cols, values) => {
    const plan = planFor(cols);
    let out: (string | null)[] | undefined;
    let count = 0;
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (v === null || v === undefined) continue;
      const field = plan[i];
      const next = field !== undefined ? field.field(v) : scan(v).text;
      if (next !== v) {
        out ??= values.slice();
        out[i] = next;
        count++;
      }
    }
    return { values: out ?? (values as (string | null)[]), maskedFields: count };
  };
}

type PathState = readonly number[];

function jsonMasker(
  paths: readonly { path: JsonPath; strategy: Strategy }[],
  secretStrategy: Strategy | undefined,
  scan: TextScanner,
): Masker['maskJson'] {
  const root: number[] = [];
  let rootSelected: Strategy | undefined;
  paths.forEach((p, i) => {
    if (p.path.length === 0)
      rootSelected = rootSelected === undefined ? p.strategy : stricter(rootSelected, p.strategy);
    else root.push(i, 0);
  });

  const step = (
    states: PathState,
    key: string | number,
  ): { states: PathState; selected: Strategy | undefined } => {
    if (states.length === 0) return { states, selected: undefined };
    const next: number[] = [];
    let selected: Strategy | undefined;
    const push = (p: number, s: number): void => {
      for (let k = 0; k < next.length; k += 2) if (next[k] === p && next[k + 1] === s) return;
      next.push(p, s);
    };
    for (let k = 0; k < states.length; k += 2) {
      const p = states[k] as number;
      const s = states[k + 1] as number;
      const { path, strategy } = paths[p] as { path: JsonPath; strategy: Strategy };
      const seg = path[s];
      if (seg === undefined) continue;
      if (seg.recursive) push(p, s);
      if (segmentMatches(seg, key)) {
        if (s + 1 === path.length)
          selected = selected === undefined ? strategy : stricter(selected, strategy);
        else push(p, s + 1);
      }
    }
    return { states: next, selected };
  };

  return (value) => {
    let count = 0;

    const whole = (node: unknown, strategy: Strategy): unknown => {
      if (typeof node === 'string') {
        const m = strategy.field(node);
        if (m !== node) count++;
        return m;
      }
      if (typeof node === 'number' && Number.isFinite(node)) {
        count++;
        return strategy.field(String(node));
      }
      if (Array.isArray(node)) return copyArray(node, (v) => whole(v, strategy));
      if (isObject(node))
        return copyObject(
          node,
          (_k, v) => whole(v, strategy),
          (k) => k,
        );
      return node;
    };

    const scanKey = (k: string): string => {
      const r = scan(k);
      count += r.count;
      return r.text;
    };

    const walk = (node: unknown, states: PathState, asSecret: boolean): unknown => {
      if (typeof node === 'string') {
        const r = scan(node);
        count += r.count;
        return r.text;
      }
      if (typeof node === 'number') {
        if (!Number.isSafeInteger(node)) return node;
        const text = String(node);
        const r = scan(text);
        count += r.count;
        return r.count > 0 ? r.text : node;
      }
      if (Array.isArray(node)) {
        return copyArray(node, (v, i) => {
          const s = step(states, i);
          return s.selected !== undefined ? whole(v, s.selected) : walk(v, s.states, false);
        });
      }
      if (!isObject(node)) return node;

      let obj = node;
      let skip: ReadonlySet<string> | undefined;
      if (secretStrategy !== undefined && (asSecret || isSecret(node))) {
        const strategy = secretStrategy;
        const r = maskSecretFields(node, (plain) => strategy.field(plain));
        obj = r.value;
        count += r.count;
        skip = SECRET_FIELDS;
      }
      const secretList = secretStrategy !== undefined && isSecretList(obj);
      return copyObject(
        obj,
        (k, v) => {
          if (skip?.has(k) === true) return v;
          const s = step(states, k);
          if (s.selected !== undefined) return whole(v, s.selected);
          if (secretList && k === 'items' && Array.isArray(v)) {
            return copyArray(v, (item, i) => {
              const si = step(s.states, i);
              return si.selected !== undefined ? whole(item, si.selected) : walk(item, si.states, true);
            });
          }
          return walk(v, s.states, false);
        },
        scanKey,
      );
    };

    const result = rootSelected !== undefined ? whole(value, rootSelected) : walk(value, root, false);
    return { value: result, maskedFields: count };
  };
}

const SECRET_FIELDS: ReadonlySet<string> = new Set(['data', 'stringData']);

/** Maps an array, returning the same array when no element changed. */
function copyArray(a: readonly unknown[], f: (v: unknown, i: number) => unknown): unknown[] {
  let out: unknown[] | undefined;
  for (let i = 0; i < a.length; i++) {
    const v = a[i];
    const w = f(v, i);
    if (w !== v) {
      out ??= a.slice();
      out[i] = w;
    }
  }
  return out ?? (a as unknown[]);
}

/**
 * Maps an object's values and keys, returning the same object when nothing changed. A masked key
 * that collides with another key gets a `~2`, `~3`... suffix so no entry is lost.
 */
function copyObject(
  o: Record<string, unknown>,
  f: (k: string, v: unknown) => unknown,
  key: (k: string) => string,
): Record<string, unknown> {
  const entries = Object.entries(o);
  let changed = false;
  const mapped: [string, unknown][] = entries.map(([k, v]) => {
    const nk = key(k);
    const nv = f(k, v);
    if (nk !== k || nv !== v) changed = true;
    return [nk, nv];
  });
  if (!changed) return o;
  const out: Record<string, unknown> = {};
  for (const [k, v] of mapped) {
    let name = k;
    for (let n = 2; Object.prototype.hasOwnProperty.call(out, name); n++) name = `${k}~${n}`;
    setOwn(out, name, v);
  }
  return out;
}
