import { describe, expect, it } from 'vitest';
import { MAX_EXEC_COMMAND_BYTES_LIMIT, sshListenerOptionsSchema } from './adapter.js';

describe('sshListenerOptionsSchema', () => {
  it('fills in the defaults when the listener gives no options', () => {
    expect(sshListenerOptionsSchema.parse(undefined)).toEqual({
      maxExecCommandBytes: 16 * 1024,
      maxLineBytes: 64 * 1024,
      handshakeTimeoutMs: 20_000,
      idleTimeoutMs: 15 * 60_000,
      upstreamTimeoutMs: 15_000,
    });
    expect(sshListenerOptionsSchema.parse({ idleTimeoutMs: 1000 })).toMatchObject({
      idleTimeoutMs: 1000,
      maxExecCommandBytes: 16 * 1024,
    });
  });

  it('refuses an exec bound ssh2 could never deliver, unknown keys and nonsense', () => {
    for (const bad of [
      { maxExecCommandBytes: MAX_EXEC_COMMAND_BYTES_LIMIT + 1 },
      { maxExecCommandBytes: 0 },
      { handshakeTimeoutMs: 10 },
      { hostKeyPem: '' },
      { ciphers: [] },
      { hostkey: 'typo' },
    ])
      expect(() => sshListenerOptionsSchema.parse(bad), JSON.stringify(bad)).toThrow();
  });
});
