/**
 * Gets a token from the harness's OpenID Provider over the wire, as an agent would: the
 * client-credentials grant at the token endpoint found through discovery.
 */
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import type { OidcInfo } from './oidc.js';

function post(
  url: string,
  ca: string,
  headers: Record<string, string>,
  body: string,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', ca, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
      );
    });
    req.on('error', reject);
    req.end(body);
  });
}

function get(url: string, ca: string): Promise<string> {
  return new Promise((resolve, reject) => {
    request(url, { ca }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    })
      .on('error', reject)
      .end();
  });
}

export async function oidcToken(
  oidc: OidcInfo,
  clientId: string,
  options: { audience?: string } = {},
): Promise<string> {
  const client = oidc.clients.find((c) => c.clientId === clientId);
  if (!client) throw new Error(`the harness has no OIDC client ${clientId}`);
  const ca = readFileSync(oidc.caCertificateFile, 'utf8');
  const discovery = JSON.parse(await get(`${oidc.issuer}/.well-known/openid-configuration`, ca)) as {
    token_endpoint: string;
  };
  const body = new URLSearchParams({
    grant_type: 'client_credentials',
    resource: options.audience ?? oidc.audience,
  }).toString();
  const res = await post(
    discovery.token_endpoint,
    ca,
    {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64')}`,
    },
    body,
  );
  if (res.status !== 200) throw new Error(`token endpoint answered ${res.status}: ${res.body}`);
  return (JSON.parse(res.body) as { access_token: string }).access_token;
}
