// The Go-built clients are the pinned versions `make deps` promises.
import { describe, expect, inject, it } from 'vitest';
import { locateHelm, pinnedVersions } from '../harness/binaries.js';
import { runCommand } from '../harness/run.js';

const harness = inject('harness');

describe('the Go-built toolchain', () => {
  it('has kubectl at the pinned Kubernetes version', async () => {
    const result = await runCommand(harness.controlPlane.kubectl, ['version', '--client', '-o', 'json']);
    expect(JSON.parse(result.stdout).clientVersion.gitVersion).toBe(pinnedVersions().KUBERNETES_VERSION);
  });

  it('has helm at the pinned version', async () => {
    const result = await runCommand(locateHelm(), ['version', '--template', '{{.Version}}']);
    expect(result.stdout.trim()).toBe(pinnedVersions().HELM_VERSION);
  });
});
