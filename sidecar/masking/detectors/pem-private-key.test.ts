import { describe, expect, it } from 'vitest';
import { findPemPrivateKeys } from './pem-private-key.js';

const found = (text: string) => findPemPrivateKeys(text).map((s) => text.slice(s.start, s.end));
const block = (type: string) =>
  `-----BEGIN ${type}-----\nMIIBOgIBAAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf9Cnzj4p4WGeKLs1Pt8Qu\nKUpRKfFLfRYC9AIKjbJTWit+CqvjWYzvQwECAwEAAQ==\n-----END ${type}-----`;

describe('pemPrivateKey detector', () => {
  it.each([
    'RSA PRIVATE KEY',
    'PRIVATE KEY',
    'EC PRIVATE KEY',
    'ENCRYPTED PRIVATE KEY',
    'OPENSSH PRIVATE KEY',
    'PGP PRIVATE KEY BLOCK',
  ])('finds a whole %s block', (type) => {
    const b = block(type);
    expect(found(`key:\n${b}\nend`)).toEqual([b]);
  });

  it('masks a truncated block to the end of the text', () => {
    const t = '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC';
    expect(found(`x ${t}`)).toEqual([t]);
  });

  it('ignores certificates and public keys', () => {
    expect(found('-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----')).toEqual([]);
    expect(found('-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----')).toEqual([]);
    expect(found('-----***** *** ******* ***-----')).toEqual([]);
  });

  it('finds two keys in one text', () => {
    const a = block('RSA PRIVATE KEY');
    const b = block('EC PRIVATE KEY');
    expect(found(`${a}\n\n${b}`)).toEqual([a, b]);
  });
});
