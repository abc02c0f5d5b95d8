/**
 * Golden files for injection (Istio's `pkg/kube/inject` testdata style): each
 * `testdata/<case>.in.yaml` (namespace, config, grants, pod) has a `<case>.golden.yaml` holding
 * `injectRequired`'s answer and either the refusal or the pod with the patch applied.
 *
 * `REFRESH_GOLDEN=1 npx vitest run --project unit operator/injection` rewrites the goldens; without
 * it a golden that differs from the output fails, and so does an input without a golden or a golden
 * without an input.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { format, resolveConfig } from 'prettier';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { SIDECAR_CONFIG_ANNOTATION } from './constants.js';
import { injectPod } from './inject-pod.js';
import { injectRequired } from './inject-required.js';
import { sidecarPodConfigSchema } from './sidecar-pod-config.js';
import { applyJsonPatch } from './testing/apply-json-patch.js';
import { loadGoldenCase, type GoldenCaseInput } from './testing/golden-case.js';
import { expectKubeconfigReadOnly, expectTokenIsolated, expectUniqueEnv } from './testing/pod-invariants.js';

const TESTDATA = join(dirname(fileURLToPath(import.meta.url)), 'testdata');
const REFRESH = process.env.REFRESH_GOLDEN === '1';
const files = readdirSync(TESTDATA);
const inputs = files.filter((f) => f.endsWith('.in.yaml')).map((f) => f.slice(0, -'.in.yaml'.length));
const goldens = files
  .filter((f) => f.endsWith('.golden.yaml'))
  .map((f) => f.slice(0, -'.golden.yaml'.length));

/** Goldens are written as the repository's prettier would write them, so `npm run lint` passes on them. */
async function prettierYaml(text: string, path: string): Promise<string> {
  const options = (await resolveConfig(path)) ?? {};
  return format(text, { ...options, filepath: path });
}

async function render(name: string): Promise<{ text: string; output: Record<string, unknown> }> {
  const input = parse(readFileSync(join(TESTDATA, `${name}.in.yaml`), 'utf8')) as GoldenCaseInput;
  const c = loadGoldenCase(input);
  const decision = injectRequired(c.pod, c.namespace, c.config);
  const output: Record<string, unknown> = { injectRequired: decision };
  if (decision.inject) {
    const result = injectPod(c.pod, c.config, c.grants);
    if ('refused' in result) output.refused = result.refused;
    else output.pod = applyJsonPatch(c.pod, result.patch);
  }
  const header = `# Generated from ${name}.in.yaml by inject-pod.golden.test.ts; REFRESH_GOLDEN=1 rewrites it.\n`;
  const text = header + stringify(output, { lineWidth: 0, aliasDuplicateObjects: false });
  return { text: await prettierYaml(text, join(TESTDATA, `${name}.golden.yaml`)), output };
}

describe('injection golden files', () => {
  it('has at least 12 cases, each input with its golden and each golden with its input', () => {
    expect(inputs.length).toBeGreaterThanOrEqual(12);
    expect(
      goldens.filter((g) => !inputs.includes(g)),
      'goldens without an input',
    ).toEqual([]);
    if (!REFRESH)
      expect(
        inputs.filter((i) => !goldens.includes(i)),
        'inputs without a golden',
      ).toEqual([]);
  });

  it.each(inputs)('%s', async (name) => {
    const { text, output } = await render(name);
    const goldenPath = join(TESTDATA, `${name}.golden.yaml`);
    if (REFRESH) writeFileSync(goldenPath, text);
    expect(existsSync(goldenPath), `${name}.golden.yaml is missing: run with REFRESH_GOLDEN=1`).toBe(true);
    expect(text, `${name}.golden.yaml is stale: run with REFRESH_GOLDEN=1 and review the diff`).toBe(
      readFileSync(goldenPath, 'utf8'),
    );

    const pod = output.pod as Parameters<typeof expectTokenIsolated>[0] | undefined;
    if (pod !== undefined) {
      expectTokenIsolated(pod);
      expectUniqueEnv(pod);
      expectKubeconfigReadOnly(pod);
      const annotations = pod.metadata?.annotations ?? {};
      sidecarPodConfigSchema.parse(parse(annotations[SIDECAR_CONFIG_ANNOTATION] ?? ''));
    }
  });
});
