/**
 * The sidecar's TokenVerifier as a test process builds it: trusting the harness's OpenID Provider
 * (agent tokens) and the API server's service-account issuer (pod-bound tokens), over HTTPS with
 * the harness CAs. Real verification; nothing is stubbed.
 */
import { readFileSync } from 'node:fs';
import type { HarnessInfo } from '../../harness/index.js';
import { TokenVerifier } from '../../../sidecar/identity/token-verifier.js';

export function harnessVerifier(harness: HarnessInfo): TokenVerifier {
  return new TokenVerifier([
    {
      issuer: harness.oidc.issuer,
      audiences: [harness.oidc.audience],
      caCertificates: [readFileSync(harness.oidc.caCertificateFile, 'utf8')],
    },
    {
      issuer: harness.controlPlane.serviceAccountIssuer,
      audiences: ['crewgate'],
      kind: 'kubernetes',
      caCertificates: [readFileSync(harness.controlPlane.caCertificateFile, 'utf8')],
    },
  ]);
}
