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
import { alreadyInjected, injectRequired } from './inject-required.js';
import { verifyInjectedPod } from './verify-injected-pod.js';
import { sidecarPodConfigSchema } from './sidecar-pod-config.js';
import { applyJsonPatch } from './testing/apply-json-patch.js';
import { loadGoldenCase, type GoldenCaseInput } from './testing/golden-case.js';
import {
  expectClientConfigReadOnly,
  expectTokenIsolated,
  expectUniqueEnv,
} from './testing/pod-invariants.js';

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

function load(name: string) {
  return loadGoldenCase(parse(readFileSync(join(TESTDATA, `${name}.in.yaml`), 'utf8')) as GoldenCaseInput);
}

async function render(name: string): Promise<{ text: string; output: Record<string, unknown> }> {
  const c = load(name);
  const decision = injectRequired(c.pod, c.namespace, c.config);
  const output: Record<string, unknown> = { injectRequired: decision };
  if (decision.inject) {
    const result = injectPod(c.pod, c.config, c.grants);
    if ('refused' in result) output.refused = result.refused;
    else output.pod = applyJsonPatch(c.pod, result.patch);
  } else if (alreadyInjected(c.pod) !== undefined) {
    // What the webhook asks of a pod carrying the markers at CREATE: is it the injector's output?
    output.verifyInjectedPod = verifyInjectedPod(c.pod, c.namespace, c.config, c.grants);
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
      expectClientConfigReadOnly(pod);
      const annotations = pod.metadata?.annotations ?? {};
      sidecarPodConfigSchema.parse(parse(annotations[SIDECAR_CONFIG_ANNOTATION] ?? ''));
      // The injector's own output passes the check the webhook (re-invocation) and the control
      // plane apply to a pod claiming to be injected.
      const c = load(name);
      expect(verifyInjectedPod(pod, c.namespace, c.config, c.grants)).toMatchObject({ ok: true });
    }
  });
});
