/**
 * Option scanning for wrapper programs (`sudo -u postgres psql`), modelled on getopt(3) and
 * getopt_long(3) with a leading `+` in the option string: options stop at the first operand,
 * `--` ends them, short flags cluster (`-Eu postgres`), an option's argument is attached or the
 * next word, and long options may be abbreviated to a unique prefix.
 *
 * Knowing exactly which options take an argument is what makes unwrapping sound: in
 * `sudo -u postgres rm`, the program is `rm`, not `postgres`. So an unknown option fails closed
 * rather than being guessed at.
 */
import { literalWord, type Word } from './word.js';

export type LongArgument = 'none' | 'required' | 'optional';

export interface OptionSpec {
  /** getopt(3) short options: `u:` takes an argument, `h::` an optional attached one. */
  short: string;
  long?: Readonly<Record<string, LongArgument>>;
  /** Words starting with `+` are options too (the shells' `+o name`, `+x`). */
  plus?: boolean;
  /** `-10` and `--10` are options (nice's historical adjustment syntax). */
  numeric?: boolean;
}

export interface ScannedOption {
  /** The short letter or the full long name. */
  name: string;
  value?: Word;
}

export type ScanResult = { ok: true; options: ScannedOption[]; next: number } | { ok: false; reason: string };

interface CompiledSpec {
  short: Map<string, 0 | 1 | 2>;
  long: Readonly<Record<string, LongArgument>>;
  plus: boolean;
  numeric: boolean;
}

const compiled = new WeakMap<OptionSpec, CompiledSpec>();

function compile(spec: OptionSpec): CompiledSpec {
  let c = compiled.get(spec);
  if (c) return c;
  const short = new Map<string, 0 | 1 | 2>();
  for (let i = 0; i < spec.short.length; i++) {
    const letter = spec.short[i] as string;
    let colons = 0;
    while (spec.short[i + 1] === ':' && colons < 2) {
      colons++;
      i++;
    }
    short.set(letter, colons as 0 | 1 | 2);
  }
  c = { short, long: spec.long ?? {}, plus: spec.plus ?? false, numeric: spec.numeric ?? false };
  compiled.set(spec, c);
  return c;
}

function resolveLong(spec: CompiledSpec, name: string): string | undefined {
  if (Object.hasOwn(spec.long, name)) return name;
  const candidates = Object.keys(spec.long).filter((k) => k.startsWith(name));
  return candidates.length === 1 ? candidates[0] : undefined;
}

/**
 * Scans `args` from `from` for the options of `program`. Stops at the first operand and returns
 * its index as `next`. A word that may expand to anything (or to several words) where an option
 * or the command is expected fails, since it could be either.
 */
export function scanOptions(program: string, args: readonly Word[], spec: OptionSpec, from = 0): ScanResult {
  const s = compile(spec);
  const options: ScannedOption[] = [];
  let i = from;
  const fail = (reason: string): ScanResult => ({ ok: false, reason: `${program}: ${reason}` });
  /** The next word as an option argument; it may be unknown, but must stay one word. */
  const argumentAt = (index: number, option: string): Word | string => {
    const w = args[index];
    if (!w) return `option ${option} needs an argument`;
    if (w.splits) return `the argument of ${option} may expand to several words`;
    return w;
  };
  while (i < args.length) {
    const w = args[i] as Word;
    if (w.splits) return fail(`"${w.value}" may expand to several words before the command`);
    const v = w.value;
    const looksLikeOption = (v.startsWith('-') || (s.plus && v.startsWith('+'))) && v.length > 1;
    if (!w.literal) {
      if (looksLikeOption || w.prefix === '')
        return fail(`"${v}" is expanded where an option or the command is expected`);
      return { ok: true, options, next: i };
    }
    if (!looksLikeOption) return { ok: true, options, next: i };
    if (v === '--') return { ok: true, options, next: i + 1 };
    if (s.numeric && /^--?\d+$/.test(v)) {
      options.push({ name: 'n', value: literalWord(v.replace(/^-/, '')) });
      i++;
      continue;
    }
    if (v.startsWith('--')) {
      const eq = v.indexOf('=');
      const given = eq < 0 ? v.slice(2) : v.slice(2, eq);
      const name = resolveLong(s, given);
      if (name === undefined) return fail(`unknown or ambiguous option --${given}`);
      const kind = s.long[name] as LongArgument;
      if (eq >= 0) {
        if (kind === 'none') return fail(`option --${name} takes no argument`);
        options.push({ name, value: literalWord(v.slice(eq + 1)) });
        i++;
      } else if (kind === 'required') {
        const value = argumentAt(i + 1, `--${name}`);
        if (typeof value === 'string') return fail(value);
        options.push({ name, value });
        i += 2;
      } else {
        options.push({ name });
        i++;
      }
      continue;
    }
    let consumedNext = false;
    for (let j = 1; j < v.length; j++) {
      const letter = v[j] as string;
      const kind = s.short.get(letter);
      if (kind === undefined) return fail(`unknown option ${v[0]}${letter}`);
      if (kind === 0) {
        options.push({ name: letter });
        continue;
      }
      const rest = v.slice(j + 1);
      if (rest !== '') {
        options.push({ name: letter, value: literalWord(rest) });
      } else if (kind === 1) {
        const value = argumentAt(i + 1, `-${letter}`);
        if (typeof value === 'string') return fail(value);
        options.push({ name: letter, value });
        consumedNext = true;
      } else {
        options.push({ name: letter });
      }
      break;
    }
    i += consumedNext ? 2 : 1;
  }
  return { ok: true, options, next: i };
}

/** Whether any of `names` (short letters or long names) was given. */
export function hasOption(options: readonly ScannedOption[], ...names: string[]): boolean {
  return options.some((o) => names.includes(o.name));
}

/** The value of the last of `names` that was given. */
export function optionValue(options: readonly ScannedOption[], ...names: string[]): Word | undefined {
  for (let i = options.length - 1; i >= 0; i--) {
    const o = options[i] as ScannedOption;
    if (names.includes(o.name)) return o.value;
  }
  return undefined;
}
