/**
 * The Helm chart as tests render it, and the ClusterRoles it ships for people (crewgate-reviewer,
 * crewgate-auditor) bound to certificate groups, so a test exercises exactly what the chart grants
 * rather than a copy of it.
 */
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { locateHelm, pinnedVersions } from '../../harness/binaries.js';
import type { HarnessInfo } from '../../harness/index.js';
import { repositoryRoot } from '../../harness/paths.js';
import { kubectl, runCommand, type RunResult } from '../../harness/run.js';

interface ClusterRole {
  kind: string;
  metadata: { name: string };
  rules: unknown[];
}

/** `helm template` of the chart as release `crewgate` in `crewgate-system`, for the pinned Kubernetes, plus `args`. */
export function helmTemplate(args: string[] = []): Promise<RunResult> {
  return runCommand(locateHelm(), [
    'template',
    'crewgate',
    join(repositoryRoot, 'charts/crewgate'),
    '-n',
    'crewgate-system',
    '--kube-version',
    pinnedVersions().KUBERNETES_VERSION!,
    ...args,
  ]);
}

/** The rules of the chart's ClusterRole `name`, as `helm template` renders them. */
export async function chartClusterRoleRules(name: string): Promise<unknown[]> {
  const rendered = await helmTemplate(['--show-only', 'templates/rbac.yaml']);
  if (rendered.code !== 0) throw new Error(`helm template failed: ${rendered.stderr}`);
  const role = parseAllDocuments(rendered.stdout)
    .map((d) => d.toJS() as ClusterRole | null)
    .find((d) => d?.kind === 'ClusterRole' && d.metadata.name === name);
  if (!role) throw new Error(`the chart renders no ClusterRole ${name}`);
  return role.rules;
}

/**
 * Binds a copy of the chart's ClusterRole `name` (as `${name}-${id}`, cluster objects outlive a
 * test's namespaces) to `groups`; the returned function removes both.
 */
export async function bindChartRole(
  harness: HarnessInfo,
  name: string,
  id: string,
  groups: string[],
): Promise<() => Promise<void>> {
  const copy = `${name}-${id}`;
  const objects = [
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: copy },
      rules: await chartClusterRoleRules(name),
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: copy },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: copy },
      subjects: groups.map((g) => ({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: g })),
    },
  ];
  const applied = await kubectl(harness, ['apply', '-f', '-'], {
    input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }),
  });
  if (applied.code !== 0) throw new Error(`cannot bind ${copy}: ${applied.stderr}`);
  return async () => {
    await kubectl(harness, ['delete', 'clusterrole,clusterrolebinding', copy, '--ignore-not-found']);
  };
}
