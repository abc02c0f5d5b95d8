import { describe, expect, it } from 'vitest';
import {
  parseHostPort,
  postgresListenerOptionsSchema,
  postgresUpstream,
  PostgresTargetError,
} from './adapter.js';

describe('postgresUpstream', () => {
  it('maps the Connection spec, its CA and the Secret keys onto the upstream target', () => {
    expect(
      postgresUpstream({
        spec: {
          type: 'postgres',
          address: 'db.shop.svc:6432',
          database: 'shop',
          tls: { mode: 'verify-full', serverName: 'db.shop' },
        },
        credentials: { username: 'app', password: 's3cret' },
        caCertificates: ['PEM'],
      }),
    ).toEqual({
      host: 'db.shop.svc',
      port: 6432,
      database: 'shop',
      user: 'app',
      password: 's3cret',
      tls: { mode: 'verify-full', ca: ['PEM'], serverName: 'db.shop' },
    });
  });

  it('verifies the server fully unless the Connection says otherwise', () => {
    const target = postgresUpstream({
      spec: { type: 'postgres', address: 'db', database: 'shop' },
      credentials: { username: 'app', password: '' },
    });
    expect(target).toMatchObject({ port: 5432, tls: { mode: 'verify-full', ca: undefined } });
  });

  it('refuses what a session cannot use: another type, no database, missing keys', () => {
    const spec = { type: 'postgres' as const, address: 'db:5432', database: 'shop' };
    expect(() => postgresUpstream({ spec: { ...spec, type: 'ssh' }, credentials: {} })).toThrow(
      /not postgres/,
    );
    expect(() =>
      postgresUpstream({
        spec: { type: 'postgres', address: 'db:5432' },
        credentials: { username: 'a', password: 'b' },
      }),
    ).toThrow(/spec\.database/);
    expect(() => postgresUpstream({ spec, credentials: { username: 'app' } })).toThrow(PostgresTargetError);
  });
});

describe('parseHostPort', () => {
  it('reads host:port, [v6]:port and a bare host', () => {
    expect(parseHostPort('10.0.0.5:5433')).toEqual({ host: '10.0.0.5', port: 5433 });
    expect(parseHostPort('[::1]:5432')).toEqual({ host: '::1', port: 5432 });
    expect(parseHostPort('db')).toEqual({ host: 'db', port: 5432 });
  });
  it('refuses an address it cannot read rather than guessing', () => {
    for (const bad of ['::1:5432', 'db:0', 'db:70000', 'db:', ''])
      expect(() => parseHostPort(bad), bad).toThrow(PostgresTargetError);
  });
});

describe('postgresListenerOptionsSchema', () => {
  it('defaults to plain TCP without requiring TLS and refuses unknown settings', () => {
    expect(postgresListenerOptionsSchema.parse({})).toEqual({ requireTls: false });
    expect(postgresListenerOptionsSchema.safeParse({ certFile: 'x' }).success).toBe(false);
  });
});
