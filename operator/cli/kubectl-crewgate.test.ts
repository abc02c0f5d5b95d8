import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { main, reviewTarget } from './kubectl-crewgate.js';

const kubeconfig = join(mkdtempSync(join(tmpdir(), 'crewgate-plugin-kubeconfig-')), 'config');
writeFileSync(
  kubeconfig,
  stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'c', cluster: { server: 'https://127.0.0.1:1' } }],
    users: [{ name: 'rita', user: { token: 'unused' } }],
    contexts: [
      { name: 'plain', context: { cluster: 'c', user: 'rita' } },
      { name: 'reviews', context: { cluster: 'c', user: 'rita', namespace: 'agents' } },
    ],
    'current-context': 'plain',
  }),
);

describe('which API and namespace the plugin uses, as kubectl resolves them', () => {
  it('takes -n, else the context namespace, else default; -A is every namespace', () => {
    expect(reviewTarget({ kubeconfig }).namespace).toBe('default');
    expect(reviewTarget({ kubeconfig, context: 'reviews' }).namespace).toBe('agents');
    expect(reviewTarget({ kubeconfig, context: 'reviews', namespace: 'other' }).namespace).toBe('other');
    expect(reviewTarget({ kubeconfig, allNamespaces: true }).namespace).toBeUndefined();
    expect(reviewTarget({ kubeconfig, context: 'reviews' }).config.getCurrentContext()).toBe('reviews');
  });

  it('refuses an unknown context rather than falling back to the current one', () => {
    expect(() => reviewTarget({ kubeconfig, context: 'prod' })).toThrow(/context "prod" does not exist/);
  });
});

describe('usage', () => {
  const out = { line: () => undefined, raw: () => undefined };
  it('needs a NAME to review, in one namespace', async () => {
    await expect(main(['approve', '--kubeconfig', kubeconfig], out)).rejects.toThrow(
      /approve needs the request's NAME/,
    );
    await expect(main(['deny', 'x', '-A', '--kubeconfig', kubeconfig], out)).rejects.toThrow(
      /works in one namespace/,
    );
    await expect(main(['list', 'x', '--kubeconfig', kubeconfig], out)).rejects.toThrow(/list takes no NAME/);
    await expect(main(['bless', '--kubeconfig', kubeconfig], out)).rejects.toThrow(/unknown command bless/);
    expect(await main([], out)).toBe(2);
  });
});
