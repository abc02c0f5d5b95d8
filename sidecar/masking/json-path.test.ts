import { describe, expect, it } from 'vitest';
import { parseJsonPath } from './json-path.js';

describe('parseJsonPath', () => {
  it.each([
    ['$', []],
    [
      '$.a.b',
      [
        { kind: 'name', name: 'a', recursive: false },
        { kind: 'name', name: 'b', recursive: false },
      ],
    ],
    [
      '$.items[*].email',
      [
        { kind: 'name', name: 'items', recursive: false },
        { kind: 'any', recursive: false },
        { kind: 'name', name: 'email', recursive: false },
      ],
    ],
    ['$..email', [{ kind: 'name', name: 'email', recursive: true }]],
    ['$..*', [{ kind: 'any', recursive: true }]],
    [
      '$.a[0]',
      [
        { kind: 'name', name: 'a', recursive: false },
        { kind: 'index', index: 0, recursive: false },
      ],
    ],
    [
      "$['x-y'].z",
      [
        { kind: 'name', name: 'x-y', recursive: false },
        { kind: 'name', name: 'z', recursive: false },
      ],
    ],
    ['$["a.b"]', [{ kind: 'name', name: 'a.b', recursive: false }]],
    [
      '$.data.*',
      [
        { kind: 'name', name: 'data', recursive: false },
        { kind: 'any', recursive: false },
      ],
    ],
    ['$..[*]', [{ kind: 'any', recursive: true }]],
    [
      '$.spec.containers[*].env[*].value',
      [
        { kind: 'name', name: 'spec', recursive: false },
        { kind: 'name', name: 'containers', recursive: false },
        { kind: 'any', recursive: false },
        { kind: 'name', name: 'env', recursive: false },
        { kind: 'any', recursive: false },
        { kind: 'name', name: 'value', recursive: false },
      ],
    ],
  ])('parses %s', (src, segs) => {
    expect(parseJsonPath(src)).toEqual({ ok: true, path: segs });
  });

  it.each([
    ['a.b', /starts with \$/],
    ['$.a[?(@.x==1)]', /filters are not supported/],
    ['$.a[0:2]', /slices are not supported/],
    ['$.a[0,1]', /unions are not supported/],
    ['$.', /expected a name/],
    ['$a', /expected \. or \[/],
    ['$.a[', /unsupported bracket/],
    ['$..', /expected a name/],
  ])('refuses %s', (src, error) => {
    const r = parseJsonPath(src);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(error);
  });
});
