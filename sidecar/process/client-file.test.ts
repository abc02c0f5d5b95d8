import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ClientFileWriteError, writeClientFile } from './client-file.js';

describe('writeClientFile', () => {
  it('replaces the file whole, readable by the app containers’ UIDs, leaving no temporary behind', () => {
    const dir = mkdtempSync(join(tmpdir(), 'crewgate-client-file-'));
    const file = join(dir, 'kubeconfig');
    writeClientFile({ file, text: 'first', what: 'kubeconfig' });
    writeClientFile({ file, text: 'second', what: 'kubeconfig' });
    expect(readFileSync(file, 'utf8')).toBe('second');
    expect(statSync(file).mode & 0o777).toBe(0o644);
    expect(readdirSync(dir)).toEqual(['kubeconfig']);
  });

  it('fails with what and the path when the volume is missing', () => {
    const write = () =>
      writeClientFile({ file: '/nonexistent-crewgate/ssh_config', text: 'x', what: 'ssh config' });
    expect(write).toThrow(ClientFileWriteError);
    expect(write).toThrow(/cannot write the ssh config \/nonexistent-crewgate\/ssh_config/);
  });
});
