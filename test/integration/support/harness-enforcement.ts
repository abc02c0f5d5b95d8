/**
 * The enforcement pieces every in-process proxy test builds the same way: a TokenVerifier trusting
 * the harness's IdP and its cluster's service-account issuer, the policies of a manifest file, and
 * the real Enforcer over them recording to a MemoryRecorder the test reads.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { NoApprover, type Approver } from '../../../sidecar/enforcement/approver.js';
import { Enforcer } from '../../../sidecar/enforcement/enforcer.js';
import { SidecarMetrics } from '../../../sidecar/enforcement/metrics.js';
import {
  compileBundle,
  StaticBundleSource,
  type ObjectManifest,
} from '../../../sidecar/enforcement/policy-bundle.js';
import { MemoryRecorder, type SessionRecorder } from '../../../sidecar/enforcement/recorder.js';
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

/** What an in-process proxy under test enforces with, and what the test reads back. */
export interface HarnessEnforcement {
  bundle: StaticBundleSource;
  /** Every event the proxy recorded, for the test to read. */
  recorder: MemoryRecorder;
  /** What the enforcer (and the adapter) record to: `recorder`, plus `alsoRecordTo` when given. */
  recording: SessionRecorder;
  metrics: SidecarMetrics;
  approver: Approver;
  enforcer: Enforcer;
}

/**
 * The real Enforcer over `manifests` (or the policies of `fixture`), the sidecar's default
 * NoApprover unless an approver is given. `alsoRecordTo` (e.g. the spooling recorder) receives
 * every event too and decides `accepting()`.
 */
export function harnessEnforcement(options: {
  fixture: string;
  manifests?: Manifests | undefined;
  approver?: Approver | undefined;
  metrics?: SidecarMetrics | undefined;
  alsoRecordTo?: SessionRecorder | undefined;
}): HarnessEnforcement {
  const bundle = new StaticBundleSource(compileBundle(options.manifests ?? loadManifests(options.fixture)));
  const recorder = new MemoryRecorder();
  const extra = options.alsoRecordTo;
  const recording: SessionRecorder = extra
    ? {
        record: (session, event) => {
          recorder.record(session, event);
          extra.record(session, event);
        },
        recordTerminal: (session, chunk) => {
          recorder.recordTerminal(session, chunk);
          extra.recordTerminal(session, chunk);
        },
        accepting: () => extra.accepting(),
      }
    : recorder;
  const metrics = options.metrics ?? new SidecarMetrics();
  const approver = options.approver ?? new NoApprover();
  const enforcer = new Enforcer({ bundle, approver, recorder: recording, metrics });
  return { bundle, recorder, recording, metrics, approver, enforcer };
}
