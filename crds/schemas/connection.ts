import { z } from 'zod';
import { reconciledStatus, secretKeyRef, resourceName } from './common.js';

export const connectionType = z.enum(['postgres', 'kubernetes', 'ssh', 'http']);

const tls = z.strictObject({
  mode: z
    .enum(['disable', 'require', 'verify-full'])
    .default('verify-full')
    .describe('How the sidecar checks the target: verify-full checks the chain and the host name.'),
  caRef: secretKeyRef.optional().describe('CA bundle to trust, from a Secret key (PEM).'),
  serverName: z.string().optional().describe('Name to verify when it differs from the address host.'),
});

export const connectionSpec = z
  .strictObject({
    type: connectionType.describe('The protocol the target speaks.'),
    address: z
      .string()
      .min(1)
      .describe('host:port for postgres and ssh; the base URL for kubernetes and http.'),
    database: z.string().min(1).optional().describe('postgres: the database sessions connect to.'),
    tls: tls.optional().describe('TLS from the sidecar to the target (postgres, kubernetes, http).'),
    ssh: z
      .strictObject({
        user: z.string().min(1).describe('The remote user the sidecar logs in as.'),
        hostKey: z
          .string()
          .min(1)
          .describe(
            'The pinned host public key, as in known_hosts (`ssh-ed25519 AAAA...`). No trust on first use.',
          ),
      })
      .optional()
      .describe('ssh: how the sidecar logs in; required for type ssh.'),
    http: z
      .strictObject({
        credentialHeader: z
          .string()
          .default('Authorization')
          .describe('Header the sidecar sets from the credentials; the agent never sees it.'),
      })
      .optional()
      .describe('http: where the credential goes.'),
    kubernetes: z
      .strictObject({
        impersonate: z
          .boolean()
          .default(false)
          .describe("Send Impersonate-User/-Group so the cluster's RBAC and audit log see the agent."),
      })
      .optional()
      .describe('kubernetes: how requests reach the API server.'),
    credentialsRef: z
      .strictObject({ name: resourceName.describe('Secret in the same namespace; the agent never sees it.') })
      .describe(
        'Secret holding what the sidecar needs: username/password, token, privateKey, or header value.',
      ),
  })
  .meta({
    'x-kubernetes-validations': [
      {
        rule: "self.type != 'ssh' || has(self.ssh)",
        message: 'an ssh connection needs spec.ssh with a pinned hostKey',
      },
    ],
  });

export const connectionStatus = z.strictObject({ ...reconciledStatus });

export type ConnectionSpec = z.infer<typeof connectionSpec>;
export type ConnectionStatus = z.infer<typeof connectionStatus>;
