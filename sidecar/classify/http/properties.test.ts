import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { UNPARSEABLE } from '../../core/command.js';
import { classifyHttp } from './classify-http.js';
import { percentDecode } from './percent-encoding.js';

const pathPiece = fc.oneof(
  fc.constantFrom(
    'a',
    'admin',
    '..',
    '.',
    '%2e',
    '%2E%2e',
    '%2f',
    '%2F',
    '%5c',
    '\\',
    '%00',
    '%',
    '%zz',
    '%41',
    '~',
    '',
    '?',
    '#',
    ' ',
    '\u00e9',
  ),
  fc.string({ unit: 'binary', maxLength: 5 }),
);
const url = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 120 }),
  fc.array(pathPiece, { maxLength: 8 }).map((p) => `/${p.join('/')}`),
);
const body = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 80 }),
  fc.uint8Array({ maxLength: 80 }),
  fc.json().map((j) => j),
);

describe('HTTP classifier properties', () => {
  it('never throws on any method, URL or body', () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 10 }),
        url,
        fc.option(body),
        fc.constantFrom('application/json', 'text/plain', undefined),
        (method, u, b, contentType) => {
          const request = {
            method,
            url: u,
            ...(b !== null && { body: b }),
            ...(contentType && { contentType }),
          };
          const result = classifyHttp(request, { bodyFields: ['$.a', '$.b[0].c'] });
          expect(result.text.startsWith(method)).toBe(true);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('never lets a dot segment through, however it is encoded', () => {
    fc.assert(
      fc.property(url, (u) => {
        const result = classifyHttp({ method: 'GET', url: u });
        if (result.operations[0] === UNPARSEABLE) return;
        const path = result.resources[0] as string;
        for (const segment of path.split('/')) {
          const decoded = percentDecode(segment) ?? '';
          expect(decoded.split(/[/\\]/)).not.toContain('..');
          expect(['.', '..']).not.toContain(decoded);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('is idempotent: a normalised path normalises to itself', () => {
    fc.assert(
      fc.property(url, (u) => {
        const result = classifyHttp({ method: 'GET', url: u });
        if (result.operations[0] === UNPARSEABLE) return;
        expect(classifyHttp({ method: 'GET', url: result.resources[0] as string }).resources).toEqual(
          result.resources,
        );
      }),
      { numRuns: 2000 },
    );
  });
});
