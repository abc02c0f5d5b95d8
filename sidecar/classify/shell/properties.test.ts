import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { UNPARSEABLE } from '../../core/command.js';
import { initShellClassifier } from './bash-parser.js';
import { classifyShell } from './classify-shell.js';
import { parseShell } from './parse-shell.js';

beforeAll(() => initShellClassifier());

/** Fragments that exercise the grammar: quoting, expansions, operators, here-documents, escapes. */
const SHELL_PIECES = [
  ' ',
  '\t',
  '\n',
  '\\',
  '\\\n',
  "'",
  '"',
  '`',
  '$',
  '$(',
  '${',
  '$((',
  '(',
  ')',
  '{',
  '}',
  '[',
  ']',
  '*',
  '?',
  '|',
  '||',
  '&',
  '&&',
  ';',
  ';;',
  '<',
  '>',
  '<<',
  '<<<',
  '<<-',
  'EOF',
  "'EOF'",
  '#',
  '=',
  '-c',
  '-exec',
  '\\;',
  'rm',
  'ls',
  'sudo',
  'bash',
  'sh',
  'env',
  'xargs',
  'find',
  'eval',
  'timeout',
  '5',
  'x',
  'if',
  'then',
  'fi',
  'for',
  'do',
  'done',
  'case',
  'esac',
  'in',
  'function',
  '\u0000',
  '\r',
  '\u00a0',
  'é',
  '\u{1F600}',
  '\uD800',
];

const shellish = fc.array(fc.constantFrom(...SHELL_PIECES), { maxLength: 40 }).map((parts) => parts.join(''));

const anyText = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.string({ unit: 'grapheme', maxLength: 200 }),
  fc.string({
    unit: fc.constantFrom('\u0000', '\u0001', '\u001b', '\u007f', '\n', '\\', '"', "'"),
    maxLength: 50,
  }),
  shellish,
);

describe('shell classifier properties', () => {
  it('never throws, on any string', () => {
    fc.assert(
      fc.property(anyText, (text) => {
        const result = classifyShell(text);
        expect(result.text).toBe(text);
      }),
      { numRuns: 2000 },
    );
  });

  it('is unparseable, with no programs, whenever the parse fails', () => {
    fc.assert(
      fc.property(anyText, (text) => {
        const parsed = parseShell(text);
        const result = classifyShell(text);
        if (!parsed.ok) {
          expect(result.operations).toEqual([UNPARSEABLE]);
          expect(result.resources).toEqual([]);
          expect(result.attributes.parseError).toBe(parsed.reason);
        } else {
          expect(result.operations).toEqual(['exec']);
        }
      }),
      { numRuns: 2000 },
    );
  });

  const programsPool = [
    'ls',
    'cat',
    'grep',
    'awk',
    'sed',
    'sort',
    'uniq',
    'head',
    'tail',
    'wc',
    'cut',
    'tr',
    'curl',
    'jq',
    'rm',
  ];
  const argument = fc.oneof(
    fc.stringMatching(/^-?[a-z0-9./]{1,8}$/),
    fc.string({ maxLength: 10 }).map((s) => `'${s.replace(/'/g, '')}'`),
  );
  const stage = fc.record({
    program: fc.constantFrom(...programsPool),
    args: fc.array(argument, { maxLength: 3 }),
    quoting: fc.constantFrom('plain', 'single', 'double', 'backslash', 'substitution'),
  });

  it('lists every program of a generated pipeline or list', () => {
    fc.assert(
      fc.property(
        fc.array(stage, { minLength: 1, maxLength: 8 }),
        fc.array(fc.constantFrom(' | ', ' && ', ' || ', '; ', '\n'), { minLength: 8, maxLength: 8 }),
        (stages, separators) => {
          const text = stages
            .map(({ program, args, quoting }) => {
              const name = {
                plain: program,
                single: `'${program}'`,
                double: `"${program}"`,
                backslash: `\\${program}`,
                substitution: `echo "$(${program})"`,
              }[quoting];
              return [name, ...args].join(' ');
            })
            // tree-sitter-bash glues `<newline>\\word` to the line before; that input fails closed
            // (see parse-shell.test.ts), so the generator ends such a line with `;`.
            .reduce((acc, part, i) => {
              if (i === 0) return part;
              const separator =
                separators[i - 1] === '\n' && part.startsWith('\\') ? ';\n' : separators[i - 1];
              return `${acc}${separator}${part}`;
            }, '');
          const result = classifyShell(text);
          expect(result.operations).toEqual(['exec']);
          for (const { program } of stages) expect(result.resources).toContain(program);
        },
      ),
      { numRuns: 500 },
    );
  });
});
