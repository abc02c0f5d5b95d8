import { describe, expect, it } from 'vitest';
import { connectionType } from '../../crds/schemas/connection.js';
import { ADAPTERS, adapterFor, supportedTypes } from './registry.js';

describe('the protocol registry', () => {
  it('files every adapter under the Connection type it speaks, and only known types', () => {
    for (const [type, entry] of Object.entries(ADAPTERS)) {
      expect(connectionType.options).toContain(type);
      expect(entry.adapter.protocol).toBe(type);
      // In-pod sidecars start listeners without options (the bundle carries none): defaults must suffice.
      expect(entry.options.safeParse({}).success).toBe(true);
    }
    expect(supportedTypes()).toContain('postgres');
  });

  it('cannot be changed at run time, and knows nothing of inherited names', () => {
    expect(Object.isFrozen(ADAPTERS)).toBe(true);
    expect(adapterFor('toString')).toBeUndefined();
    expect(adapterFor('constructor')).toBeUndefined();
  });
});
