/**
 * The enforcement pieces every in-process proxy test builds the same way: a TokenVerifier trusting
 * the harness's IdP and its cluster's service-account issuer, and the policies of a manifest file.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { ObjectManifest } from '../../../sidecar/enforcement/policy-bundle.js';
import { TokenVerifier } from '../../../sidecar/identity/token-verifier.js';
import type { HarnessInfo } from '../../harness/index.js';
import { repositoryRoot } from '../../harness/paths.js';

export interface Manifests {
  accessPolicies: ObjectManifest[];
  maskingRules: ObjectManifest[];
}

export function loadManifestsFromText(text: string): Manifests {
  const docs = parseAllDocuments(text).map((d) => d.toJS() as ObjectManifest & { kind: string });
  return {
    accessPolicies: docs.filter((d) => d.kind === 'AccessPolicy'),
    maskingRules: docs.filter((d) => d.kind === 'MaskingRule'),
  };
}

export function loadManifests(file: string): Manifests {
  return loadManifestsFromText(readFileSync(join(repositoryRoot, file), 'utf8'));
}

/**
 * A fixture's text (fixtures are written for namespace `agents`) moved to `namespace`, so a test
 * file's policies live in a namespace of its own that its local operator watches.
 */
export function fixtureInNamespace(file: string, namespace: string): string {
  return readFileSync(join(repositoryRoot, file), 'utf8').replaceAll(
    'namespace: agents',
    `namespace: ${namespace}`,
  );
}

/** Verifies agent tokens from the harness IdP and pod-bound tokens from its API server. */
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
