/**
 * A small parser for JavaScript regular expressions (the `u`-flag grammar), producing just enough
 * structure to judge whether a pattern can backtrack badly. It is a real recursive-descent parser
 * over the pattern grammar — not regexes over regexes — and it refuses what it does not understand,
 * so an exotic construct is rejected rather than misjudged.
 */
import {
  ANY,
  DIGIT,
  EMPTY,
  SPACE,
  WORD,
  chars,
  complement,
  ranges,
  union,
  type CharSet,
} from './char-set.js';

export type RegexNode =
  | { type: 'alt'; alternatives: RegexNode[] }
  | { type: 'seq'; items: RegexNode[] }
  | { type: 'group'; body: RegexNode }
  | { type: 'look'; body: RegexNode; behind: boolean; negative: boolean }
  | { type: 'backref' }
  | { type: 'assert' }
  | { type: 'chars'; set: CharSet }
  | { type: 'repeat'; min: number; max: number; body: RegexNode };

export class RegexSyntaxError extends Error {}

/** Counted repetitions above this are refused: `a{1,100000}` is a denial of service by itself. */
export const MAX_COUNT = 1000;

const SYNTAX = new Set([...'^$\\.*+?()[]{}|/']);

/** Parses `source` as a `u`-flag JavaScript pattern. Throws RegexSyntaxError on anything unsupported. */
export function parseRegex(source: string): RegexNode {
  const p = new Parser([...source]);
  const node = p.disjunction();
  if (!p.done()) p.fail(`unexpected "${p.peek()}"`);
  return node;
}

class Parser {
  private i = 0;
  constructor(private readonly cs: string[]) {}

  done(): boolean {
    return this.i >= this.cs.length;
  }
  peek(offset = 0): string | undefined {
    return this.cs[this.i + offset];
  }
  fail(message: string): never {
    throw new RegexSyntaxError(`${message} at position ${this.i}`);
  }
  private eat(c: string): boolean {
    if (this.peek() === c) {
      this.i++;
      return true;
    }
    return false;
  }
  private expect(c: string): void {
    if (!this.eat(c)) this.fail(`expected "${c}"`);
  }

  disjunction(): RegexNode {
    const alternatives = [this.alternative()];
    while (this.eat('|')) alternatives.push(this.alternative());
    return alternatives.length === 1 ? (alternatives[0] as RegexNode) : { type: 'alt', alternatives };
  }

  private alternative(): RegexNode {
    const items: RegexNode[] = [];
    while (!this.done() && this.peek() !== '|' && this.peek() !== ')') items.push(this.term());
    return items.length === 1 ? (items[0] as RegexNode) : { type: 'seq', items };
  }

  private term(): RegexNode {
    const c = this.peek() as string;
    if (c === '^' || c === '$') {
      this.i++;
      return this.noQuantifier({ type: 'assert' });
    }
    if (c === '\\' && (this.peek(1) === 'b' || this.peek(1) === 'B')) {
      this.i += 2;
      return this.noQuantifier({ type: 'assert' });
    }
    if (c === '(' && this.peek(1) === '?' && (this.peek(2) === '=' || this.peek(2) === '!')) {
      this.i += 3;
      return this.lookaround(false, this.cs[this.i - 1] === '!');
    }
    if (
      c === '(' &&
      this.peek(1) === '?' &&
      this.peek(2) === '<' &&
      (this.peek(3) === '=' || this.peek(3) === '!')
    ) {
      this.i += 4;
      return this.lookaround(true, this.cs[this.i - 1] === '!');
    }
    return this.quantified(this.atom());
  }

  private lookaround(behind: boolean, negative: boolean): RegexNode {
    const body = this.disjunction();
    this.expect(')');
    // Quantified lookaheads are an Annex B extension the `u` flag forbids; refuse them the same way.
    return this.noQuantifier({ type: 'look', body, behind, negative });
  }

  private noQuantifier(node: RegexNode): RegexNode {
    const c = this.peek();
    if (c === '*' || c === '+' || c === '?' || (c === '{' && this.countAhead()))
      this.fail('nothing to repeat');
    return node;
  }

  private atom(): RegexNode {
    const c = this.peek() as string;
    switch (c) {
      case '.':
        this.i++;
        return { type: 'chars', set: ANY };
      case '[':
        return { type: 'chars', set: this.charClass() };
      case '\\':
        this.i++;
        return this.atomEscape();
      case '(': {
        this.i++;
        if (this.eat('?')) {
          if (this.eat(':')) {
            /* non-capturing */
          } else if (this.eat('<')) {
            this.groupName();
          } else {
            this.fail('unsupported group (only (...), (?:...) and (?<name>...) are supported)');
          }
        }
        const body = this.disjunction();
        this.expect(')');
        return { type: 'group', body };
      }
      case '*':
      case '+':
      case '?':
        return this.fail('nothing to repeat');
      case '{':
      case '}':
      case ']':
      case ')':
      case '|':
        return this.fail(`lone "${c}" (escape it)`);
      default:
        this.i++;
        return { type: 'chars', set: chars(c) };
    }
  }

  private groupName(): void {
    let name = '';
    while (!this.done() && this.peek() !== '>') name += this.cs[this.i++];
    this.expect('>');
    if (!/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(name)) this.fail('invalid group name');
  }

  private countAhead(): boolean {
    let j = this.i + 1;
    let digits = 0;
    while (/[0-9]/.test(this.cs[j] ?? '')) {
      j++;
      digits++;
    }
    if (digits === 0) return false;
    if (this.cs[j] === ',') {
      j++;
      while (/[0-9]/.test(this.cs[j] ?? '')) j++;
    }
    return this.cs[j] === '}';
  }

  private number(): number {
    let s = '';
    while (/[0-9]/.test(this.peek() ?? '')) s += this.cs[this.i++];
    if (s === '') this.fail('expected a number');
    return Number(s);
  }

  private quantified(body: RegexNode): RegexNode {
    let min: number;
    let max: number;
    const c = this.peek();
    if (c === '*') [min, max] = [0, Infinity];
    else if (c === '+') [min, max] = [1, Infinity];
    else if (c === '?') [min, max] = [0, 1];
    else if (c === '{' && this.countAhead()) {
      this.i++;
      min = this.number();
      max = min;
      if (this.eat(',')) max = /[0-9]/.test(this.peek() ?? '') ? this.number() : Infinity;
      if (this.peek() !== '}') this.fail('expected "}"');
      if (max < min) this.fail('numbers out of order in {} quantifier');
      if (min > MAX_COUNT || (max !== Infinity && max > MAX_COUNT))
        this.fail(`counted repetition above ${MAX_COUNT}`);
    } else {
      return body;
    }
    this.i++;
    this.eat('?'); // lazy: same worst case as greedy
    const node: RegexNode = { type: 'repeat', min, max, body };
    return this.noQuantifier(node);
  }

  private atomEscape(): RegexNode {
    const c = this.peek();
    if (c === undefined) this.fail('\\ at end of pattern');
    if (/[1-9]/.test(c)) {
      this.number();
      return { type: 'backref' };
    }
    if (c === 'k') {
      this.i++;
      this.expect('<');
      this.groupName();
      return { type: 'backref' };
    }
    return { type: 'chars', set: this.classOrCharEscape(false) };
  }

  /** Escapes valid both in and out of classes; returns the set of code points it stands for. */
  private classOrCharEscape(inClass: boolean): CharSet {
    const c = this.cs[this.i++] as string;
    switch (c) {
      case 'd':
        return DIGIT;
      case 'D':
        return complement(DIGIT);
      case 'w':
        return WORD;
      case 'W':
        return complement(WORD);
      case 's':
        return SPACE;
      case 'S':
        return complement(SPACE);
      case 'p':
      case 'P': {
        this.expect('{');
        let name = '';
        while (!this.done() && this.peek() !== '}') name += this.cs[this.i++];
        this.expect('}');
        if (!/^[A-Za-z_]+(=[A-Za-z0-9_]+)?$/.test(name)) this.fail('invalid property escape');
        return ANY;
      }
      case 't':
        return chars('\t');
      case 'n':
        return chars('\n');
      case 'v':
        return chars('\v');
      case 'f':
        return chars('\f');
      case 'r':
        return chars('\r');
      case '0':
        if (/[0-9]/.test(this.peek() ?? '')) this.fail('octal escapes are not allowed');
        return chars('\0');
      case 'c': {
        const l = this.cs[this.i++] ?? '';
        if (!/^[A-Za-z]$/.test(l)) this.fail('invalid control escape');
        const code = (l.codePointAt(0) as number) % 32;
        return ranges([code, code]);
      }
      case 'x': {
        const h = this.cs.slice(this.i, this.i + 2).join('');
        if (!/^[0-9A-Fa-f]{2}$/.test(h)) this.fail('invalid \\x escape');
        this.i += 2;
        const code = parseInt(h, 16);
        return ranges([code, code]);
      }
      case 'u': {
        let code: number;
        if (this.eat('{')) {
          let h = '';
          while (!this.done() && this.peek() !== '}') h += this.cs[this.i++];
          this.expect('}');
          if (!/^[0-9A-Fa-f]{1,6}$/.test(h)) this.fail('invalid \\u{} escape');
          code = parseInt(h, 16);
        } else {
          const h = this.cs.slice(this.i, this.i + 4).join('');
          if (!/^[0-9A-Fa-f]{4}$/.test(h)) this.fail('invalid \\u escape');
          this.i += 4;
          code = parseInt(h, 16);
        }
        if (code > 0x10ffff) this.fail('code point out of range');
        return ranges([code, code]);
      }
      case 'b':
        if (inClass) return chars('\b');
        return this.fail('unexpected \\b');
      case '-':
        if (inClass) return chars('-');
        return this.fail('invalid escape \\-');
      default:
        if (SYNTAX.has(c)) return chars(c);
        return this.fail(`invalid escape \\${c}`);
    }
  }

  private charClass(): CharSet {
    this.expect('[');
    const negated = this.eat('^');
    let set: CharSet = EMPTY;
    while (!this.done() && this.peek() !== ']') {
      const lo = this.classAtom();
      if (this.peek() === '-' && this.peek(1) !== ']' && this.peek(1) !== undefined) {
        this.i++;
        const hi = this.classAtom();
        if (lo.single === undefined || hi.single === undefined)
          this.fail('a class escape cannot bound a range');
        if (hi.single < lo.single) this.fail('range out of order in character class');
        set = union(set, ranges([lo.single, hi.single]));
      } else {
        set = union(set, lo.set);
      }
    }
    this.expect(']');
    return negated ? complement(set) : set;
  }

  private classAtom(): { set: CharSet; single: number | undefined } {
    const c = this.cs[this.i] as string;
    if (c === '\\') {
      this.i++;
      const set = this.classOrCharEscape(true);
      const single = set.length === 1 && set[0]?.[0] === set[0]?.[1] && set !== ANY ? set[0]?.[0] : undefined;
      return { set, single };
    }
    this.i++;
    const code = c.codePointAt(0) as number;
    return { set: ranges([code, code]), single: code };
  }
}
