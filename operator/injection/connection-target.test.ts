import { describe, expect, it } from 'vitest';
import { connectionTarget, isIpLiteral, parseAddress } from './connection-target.js';

describe('parseAddress', () => {
  it.each([
    ['db.data.svc:5432', 5432, { host: 'db.data.svc', port: 5432 }],
    ['db.data.svc', 5432, { host: 'db.data.svc', port: 5432 }],
    ['10.0.0.5:6432', 5432, { host: '10.0.0.5', port: 6432 }],
    ['[fd00::1]:5432', 5432, { host: 'fd00::1', port: 5432 }],
    ['fd00::1', 22, { host: 'fd00::1', port: 22 }],
    ['https://10.96.0.1', 443, { host: '10.96.0.1', port: 443 }],
    ['https://kubernetes.default.svc:6443/', 443, { host: 'kubernetes.default.svc', port: 6443 }],
    ['http://tickets.internal/api', 80, { host: 'tickets.internal', port: 80 }],
    ['http://[fd00::2]:8080', 80, { host: 'fd00::2', port: 8080 }],
  ])('%s', (address, defaultPort, expected) => {
    expect(parseAddress(address, defaultPort)).toEqual(expected);
  });

  it.each(['db:99999', 'db:0', 'a b', '[10.0.0.1]:5', 'http://'])('refuses %s', (address) => {
    expect(typeof parseAddress(address, 5432)).toBe('string');
  });
});

describe('connectionTarget', () => {
  it('defaults the port by type and keeps the database', () => {
    expect(connectionTarget({ type: 'postgres', address: 'db', database: 'reporting' })).toEqual({
      ok: true,
      target: { type: 'postgres', address: 'db', port: 5432, database: 'reporting' },
    });
    expect(connectionTarget({ type: 'ssh', address: 'bastion' })).toMatchObject({ target: { port: 22 } });
    expect(connectionTarget({ type: 'kubernetes', address: 'https://10.96.0.1' })).toMatchObject({
      target: { port: 443 },
    });
  });
});

describe('isIpLiteral', () => {
  it('tells IPs from DNS names', () => {
    expect(isIpLiteral('10.0.0.5')).toBe(true);
    expect(isIpLiteral('fd00::5')).toBe(true);
    expect(isIpLiteral('db.internal')).toBe(false);
    expect(isIpLiteral('10.0.0.5.nip.io')).toBe(false);
  });
});
