/**
 * Fetches an issuer's OpenID discovery document and JWKS with an explicit trust store, the way a
 * relying party does, so tests can check a token with `jose` against what the issuer publishes.
 */
import { readFileSync } from 'node:fs';
import { createLocalJWKSet, type JSONWebKeySet } from 'jose';
import { httpsGet } from './https-probe.js';

export interface Discovered {
  issuer: string;
  jwksUri: string;
  keys: ReturnType<typeof createLocalJWKSet>;
}

export async function discover(issuer: string, caCertificateFile: string): Promise<Discovered> {
  const ca = readFileSync(caCertificateFile, 'utf8');
  const config = await httpsGet(`${issuer}/.well-known/openid-configuration`, { ca });
  if (config.status !== 200)
    throw new Error(`discovery at ${issuer} answered ${config.status}: ${config.body}`);
  const { issuer: advertised, jwks_uri: jwksUri } = JSON.parse(config.body) as {
    issuer: string;
    jwks_uri: string;
  };
  const jwks = await httpsGet(jwksUri, { ca });
  if (jwks.status !== 200) throw new Error(`JWKS at ${jwksUri} answered ${jwks.status}`);
  return { issuer: advertised, jwksUri, keys: createLocalJWKSet(JSON.parse(jwks.body) as JSONWebKeySet) };
}
