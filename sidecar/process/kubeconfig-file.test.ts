import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KubeconfigWriteError, writeKubeconfigFile } from './kubeconfig-file.js';

describe('writeKubeconfigFile', () => {
  it('replaces the file whole, readable by the app containers’ UIDs, leaving no temporary behind', () => {
    const dir = mkdtempSync(join(tmpdir(), 'crewgate-kubeconfig-file-'));
    const path = join(dir, 'kubeconfig');
    writeKubeconfigFile(path, 'first');
    writeKubeconfigFile(path, 'second');
    expect(readFileSync(path, 'utf8')).toBe('second');
    expect(statSync(path).mode & 0o777).toBe(0o644);
    expect(readdirSync(dir)).toEqual(['kubeconfig']);
  });

  it('fails with the path when the volume is missing', () => {
    expect(() => writeKubeconfigFile('/nonexistent-crewgate/kubeconfig', 'x')).toThrow(KubeconfigWriteError);
    expect(() => writeKubeconfigFile('/nonexistent-crewgate/kubeconfig', 'x')).toThrow(
      /cannot write the kubeconfig \/nonexistent-crewgate\/kubeconfig/,
    );
  });
});
