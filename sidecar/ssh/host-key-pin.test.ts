import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import { describe, expect, it } from 'vitest';
import { fingerprint, HostKeyPinError, matchesPin, parsePinnedHostKey } from './host-key-pin.js';
import { generateEd25519KeyPair } from './host-key.js';

const publicLine = () => generateEd25519KeyPair().public.trim();

describe('parsePinnedHostKey', () => {
  it('reads a known_hosts-style line, with or without host pattern and comment', () => {
    const line = publicLine();
    const [type, data] = line.split(' ');
    for (const text of [
      `${type} ${data}`,
      `[127.0.0.1]:2222 ${type} ${data}`,
      `${type} ${data} host@example`,
    ]) {
      const pin = parsePinnedHostKey(text);
      expect(pin.type).toBe('ssh-ed25519');
      expect(pin.blob.equals(Buffer.from(data!, 'base64'))).toBe(true);
      expect(pin.algorithms).toEqual(['ssh-ed25519']);
    }
  });

  it('prints the fingerprint ssh-keygen prints', () => {
    const dir = mkdtempSync(join(tmpdir(), 'crewgate-pin-'));
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'k')]);
    const line = readFileSync(join(dir, 'k.pub'), 'utf8');
    const printed = execFileSync('ssh-keygen', ['-l', '-f', join(dir, 'k.pub')], { encoding: 'utf8' });
    expect(printed).toContain(parsePinnedHostKey(line).fingerprint);
  });

  it('offers every RSA signature algorithm for an ssh-rsa pin', () => {
    const line = ssh2.utils.generateKeyPairSync('rsa', { bits: 2048 }).public;
    expect(parsePinnedHostKey(line).algorithms).toEqual(['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa']);
  });

  it('refuses what is not one plain key', () => {
    const [type, data] = publicLine().split(' ');
    for (const bad of [
      '',
      `${data}`,
      `ssh-dss ${data}`,
      `${type} not*base64`,
      `@cert-authority * ${type} ${data}`,
      `ecdsa-sha2-nistp256 ${data}`, // the blob says ssh-ed25519
      `${type} ${Buffer.from('short').toString('base64')}`,
    ])
      expect(() => parsePinnedHostKey(bad), bad).toThrow(HostKeyPinError);
  });
});

describe('matchesPin', () => {
  it('accepts the pinned key only', () => {
    const line = publicLine();
    const pin = parsePinnedHostKey(line);
    expect(matchesPin(pin, Buffer.from(line.split(' ')[1]!, 'base64'))).toBe(true);
    const other = Buffer.from(publicLine().split(' ')[1]!, 'base64');
    expect(matchesPin(pin, other)).toBe(false);
    expect(matchesPin(pin, other.subarray(0, 10))).toBe(false);
    expect(fingerprint(other)).not.toBe(pin.fingerprint);
  });
});
