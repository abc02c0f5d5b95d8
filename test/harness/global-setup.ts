/**
 * vitest global setup for the integration project: one harness for the whole run, shared with
 * every test file through `inject('harness')`.
 */
import type { TestProject } from 'vitest/node';
import { startHarness, type Harness, type HarnessInfo } from './index.js';

declare module 'vitest' {
  export interface ProvidedContext {
    harness: HarnessInfo;
  }
}

let harness: Harness | undefined;

export async function setup(project: TestProject): Promise<void> {
  harness = await startHarness({ keep: process.env.CREWGATE_KEEP_HARNESS === '1' });
  const ms = harness.info.startupMs;
  console.log(
    `harness ready in ${ms.total} ms (control plane ${ms.controlPlane} ms, postgres ${ms.postgres} ms, sshd ${ms.sshd} ms, oidc ${ms.oidc} ms) in ${harness.info.dir}`,
  );
  project.provide('harness', harness.info);
}

export async function teardown(): Promise<void> {
  await harness?.stop();
}
