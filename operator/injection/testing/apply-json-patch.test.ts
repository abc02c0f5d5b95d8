import { describe, expect, it } from 'vitest';
import { applyJsonPatch, parsePointer } from './apply-json-patch.js';

describe('applyJsonPatch (RFC 6902 test helper)', () => {
  it('follows the RFC 6902 appendix examples', () => {
    expect(applyJsonPatch({ foo: 'bar' }, [{ op: 'add', path: '/baz', value: 'qux' }])).toEqual({
      foo: 'bar',
      baz: 'qux',
    });
    expect(applyJsonPatch({ foo: ['bar', 'baz'] }, [{ op: 'add', path: '/foo/1', value: 'qux' }])).toEqual({
      foo: ['bar', 'qux', 'baz'],
    });
    expect(applyJsonPatch({ foo: ['bar'] }, [{ op: 'add', path: '/foo/-', value: 'x' }])).toEqual({
      foo: ['bar', 'x'],
    });
    expect(applyJsonPatch({ baz: 'qux', foo: 'bar' }, [{ op: 'remove', path: '/baz' }])).toEqual({
      foo: 'bar',
    });
    expect(applyJsonPatch({ foo: ['bar', 'qux', 'baz'] }, [{ op: 'remove', path: '/foo/1' }])).toEqual({
      foo: ['bar', 'baz'],
    });
    expect(applyJsonPatch({ baz: 'qux' }, [{ op: 'replace', path: '/baz', value: 'boo' }])).toEqual({
      baz: 'boo',
    });
    expect(applyJsonPatch({ a: { b: 1 } }, [{ op: 'move', from: '/a/b', path: '/c' }])).toEqual({
      a: {},
      c: 1,
    });
    expect(applyJsonPatch({ a: [1] }, [{ op: 'copy', from: '/a/0', path: '/a/-' }])).toEqual({ a: [1, 1] });
    expect(
      applyJsonPatch({ a: { x: 1, y: 2 } }, [{ op: 'test', path: '/a', value: { y: 2, x: 1 } }]),
    ).toEqual({
      a: { x: 1, y: 2 },
    });
  });

  it('unescapes ~1 and ~0 in pointers', () => {
    expect(parsePointer('/metadata/annotations/crewgate.dev~1status')).toEqual([
      'metadata',
      'annotations',
      'crewgate.dev/status',
    ]);
    expect(parsePointer('/a~01')).toEqual(['a~1']);
    const out = applyJsonPatch({ m: {} as Record<string, string> }, [
      { op: 'add', path: '/m/a~1b', value: 'v' },
    ]);
    expect(out.m['a/b']).toBe('v');
  });

  it('is strict where the API server is', () => {
    const fails = (doc: unknown, op: Parameters<typeof applyJsonPatch>[1][number]) =>
      expect(() => applyJsonPatch(doc, [op])).toThrow();
    fails({}, { op: 'replace', path: '/missing', value: 1 });
    fails({}, { op: 'remove', path: '/missing' });
    fails({}, { op: 'add', path: '/no/parent', value: 1 });
    fails({ a: [1] }, { op: 'add', path: '/a/2', value: 1 });
    fails({ a: [1] }, { op: 'remove', path: '/a/1' });
    fails({ a: [1] }, { op: 'remove', path: '/a/01' });
    fails({ a: [1] }, { op: 'replace', path: '/a/-', value: 1 });
    fails({ a: 1 }, { op: 'test', path: '/a', value: 2 });
    fails({}, { op: 'add', path: 'a', value: 1 });
  });

  it('does not modify its input', () => {
    const doc = { a: [1, 2] };
    applyJsonPatch(doc, [{ op: 'remove', path: '/a/0' }]);
    expect(doc).toEqual({ a: [1, 2] });
  });
});
