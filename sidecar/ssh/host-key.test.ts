import ssh2 from 'ssh2';
import { describe, expect, it } from 'vitest';
import { generateEd25519KeyPair, type Ed25519KeyPair } from './host-key.js';

describe('generateEd25519KeyPair', () => {
  it('gives pairs ssh2 can parse, every time (ssh2 alone fails about 1 in 240)', () => {
    for (let i = 0; i < 2_000; i++) {
      const pair = generateEd25519KeyPair();
      expect(ssh2.utils.parseKey(pair.private)).not.toBeInstanceOf(Error);
      expect(ssh2.utils.parseKey(pair.public)).not.toBeInstanceOf(Error);
    }
  });

  it('draws again when a pair does not parse, and gives up on a generator that never makes one', () => {
    const good = ssh2.utils.generateKeyPairSync('ed25519');
    const bad: Ed25519KeyPair = { private: 'not a key', public: good.public };
    const draws = [bad, bad, good];
    expect(generateEd25519KeyPair(() => draws.shift()!)).toBe(good);
    expect(() => generateEd25519KeyPair(() => bad)).toThrow(/in 16 attempts/);
  });
});
