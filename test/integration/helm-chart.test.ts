// The Helm chart lints, renders, and what it renders is accepted by the real API server
// (server-side dry run: every object validated and admitted, nothing persisted).
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { describe, expect, inject, it } from 'vitest';
import { operatorConfigFrom } from '../../operator/config.js';
import { locateHelm, pinnedVersions } from '../harness/binaries.js';
import { repositoryRoot } from '../harness/paths.js';
import { kubectl, runCommand } from '../harness/run.js';
import { helmTemplate } from './support/chart-roles.js';

const harness = inject('harness');
const chart = join(repositoryRoot, 'charts/crewgate');
const kubeVersion = ['--kube-version', pinnedVersions().KUBERNETES_VERSION!];

describe('charts/crewgate', () => {
  it('passes helm lint', async () => {
    const result = await runCommand(locateHelm(), ['lint', chart, ...kubeVersion]);
    expect(result.stdout).toMatch(/1 chart\(s\) linted, 0 chart\(s\) failed/);
  });

  it('renders manifests the real API server accepts (apply --dry-run=server)', async () => {
    const rendered = await helmTemplate();
    expect(rendered.code, rendered.stderr).toBe(0);
    await kubectl(harness, ['create', 'namespace', 'crewgate-system']);
    const applied = await kubectl(harness, ['apply', '--dry-run=server', '-f', '-'], {
      input: rendered.stdout,
    });
    expect(applied.stderr).toBe('');
    for (const kind of [
      'deployment.apps/crewgate-operator',
      'mutatingwebhookconfiguration.admissionregistration.k8s.io/crewgate-operator',
      'clusterrole.rbac.authorization.k8s.io/crewgate-operator',
      'poddisruptionbudget.policy/crewgate-operator',
    ]) {
      expect(applied.stdout).toContain(`${kind} created (server dry run)`);
    }
  });

  it('ships the same CRDs as crds/ (both generated from the zod schemas)', async () => {
    const shipped = await runCommand(locateHelm(), ['show', 'crds', chart]);
    expect(shipped.stdout).toContain('name: approvalrequests.crewgate.dev');
    expect(shipped.stdout.match(/kind: CustomResourceDefinition/g)).toHaveLength(4);
  });

  it('renders the trusted issuers and the recording store as settings the operator accepts', async () => {
    const rendered = await helmTemplate([
      '--set',
      'recording.store.host=audit-db.example',
      '--set',
      'recording.store.tls.caConfigMap=store-ca',
      '--set',
      'identity.caConfigMap=issuer-ca',
      '--set-json',
      'identity.issuers=[{"issuer":"https://login.example.com","audiences":["crewgate"],"groupsClaim":"groups","caFile":"/etc/crewgate/issuer-ca/login.crt"}]',
    ]);
    expect(rendered.code, rendered.stderr).toBe(0);
    const deployment = parseAllDocuments(rendered.stdout)
      .map(
        (d) =>
          d.toJS() as {
            kind?: string;
            spec?: {
              template: {
                spec: {
                  containers: {
                    env: { name: string; value?: string }[];
                    volumeMounts?: { mountPath: string }[];
                  }[];
                };
              };
            };
          },
      )
      .find((d) => d?.kind === 'Deployment')!;
    const container = deployment.spec!.template.spec.containers[0]!;
    const env = Object.fromEntries(
      container.env.filter((e) => e.value !== undefined).map((e) => [e.name, e.value!]),
    );
    const config = operatorConfigFrom([], env);
    expect(config.oidcIssuers).toEqual([
      {
        issuer: 'https://login.example.com',
        audiences: ['crewgate'],
        kind: 'oidc',
        groupsClaim: 'groups',
        caFile: '/etc/crewgate/issuer-ca/login.crt',
      },
    ]);
    expect(config.recordingStore).toEqual({
      host: 'audit-db.example',
      port: 5432,
      database: 'crewgate_audit',
      tls: { mode: 'verify-full', caFile: '/etc/crewgate/store-ca/ca.crt' },
      secretName: 'crewgate-recording-store',
    });
    expect(container.volumeMounts?.map((m) => m.mountPath)).toEqual([
      '/etc/crewgate/issuer-ca',
      '/etc/crewgate/store-ca',
    ]);
  });
});
