/**
 * A real OpenID Provider (`oidc-provider`) in-process, over HTTPS with a certificate from the
 * harness CA. Agents get tokens the way a workload would: the client-credentials grant with a
 * resource indicator naming the audience. Tokens are JWTs signed with the provider's own keys and
 * carry a `groups` claim from the client's registration, so tests can be an analyst, an operator
 * or a reviewer by picking a client.
 */
import { createServer, type Server } from 'node:https';
import { exportJWK, generateKeyPair } from 'jose';
import Provider from 'oidc-provider';
import { issueCertificate, type CertificateAuthority } from '../../operator/pki/certificates.js';
import { freePort } from './ports.js';

/** The audience sidecars expect (a resource indicator is an absolute URI, RFC 8707); any other is for someone else. */
export const CREWGATE_AUDIENCE = 'urn:crewgate';

export interface OidcClient {
  clientId: string;
  clientSecret: string;
  groups: string[];
  /** Access-token lifetime in seconds; a short one gives tests tokens that expire. */
  tokenTtlSeconds?: number;
}

/** The clients every harness registers: one per role in the mission's story. */
export const HARNESS_CLIENTS: OidcClient[] = [
  { clientId: 'agent-analyst', clientSecret: 'analyst-secret-0000000000000000', groups: ['crewai-viewer'] },
  {
    clientId: 'agent-operator',
    clientSecret: 'operator-secret-000000000000000',
    groups: ['crewai-operator'],
  },
  { clientId: 'reviewer-dba', clientSecret: 'dba-secret-000000000000000000000', groups: ['dba'] },
  {
    clientId: 'agent-short-lived',
    clientSecret: 'short-secret-000000000000000000',
    groups: ['crewai-viewer'],
    tokenTtlSeconds: 2,
  },
];

export interface OidcInfo {
  issuer: string;
  caCertificateFile: string;
  clients: OidcClient[];
  audience: string;
}

export interface OidcServer {
  info: OidcInfo;
  stop(): Promise<void>;
}

export async function startOidcProvider(
  ca: CertificateAuthority,
  caCertificateFile: string,
): Promise<OidcServer> {
  const port = await freePort();
  const issuer = `https://127.0.0.1:${port}`;
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  const signingKey = { ...(await exportJWK(privateKey)), alg: 'ES256', use: 'sig', kid: `harness-${port}` };
  const byId = new Map(HARNESS_CLIENTS.map((c) => [c.clientId, c]));

  const provider = new Provider(issuer, {
    clients: HARNESS_CLIENTS.map((c) => ({
      client_id: c.clientId,
      client_secret: c.clientSecret,
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      token_endpoint_auth_method: 'client_secret_basic',
      id_token_signed_response_alg: 'ES256',
    })),
    jwks: { keys: [signingKey] },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => CREWGATE_AUDIENCE,
        useGrantedResource: () => true,
        // Any resource the client names becomes the audience, so tests can also mint tokens
        // meant for someone else and check that sidecars refuse them.
        getResourceServerInfo: (_ctx, resourceIndicator) => ({
          scope: '',
          audience: resourceIndicator,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'ES256' } },
        }),
      },
    },
    ttl: {
      ClientCredentials: (_ctx, _token, client) => byId.get(client.clientId)?.tokenTtlSeconds ?? 600,
    },
    extraTokenClaims: (_ctx, token) => {
      const client = byId.get((token as { clientId?: string }).clientId ?? '');
      return client ? { groups: client.groups } : undefined;
    },
  });
  provider.on('server_error', (_ctx, error) => console.error('oidc-provider server_error', error));

  const serving = await issueCertificate(ca, {
    commonName: 'oidc',
    dnsNames: ['localhost'],
    ipAddresses: ['127.0.0.1'],
    usage: 'server',
  });
  const server: Server = createServer(
    { cert: serving.certificatePem, key: serving.privateKeyPem },
    provider.callback(),
  );
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return {
    info: { issuer, caCertificateFile, clients: HARNESS_CLIENTS, audience: CREWGATE_AUDIENCE },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
