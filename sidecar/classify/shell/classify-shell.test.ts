import { beforeAll, describe, expect, it } from 'vitest';
import { UNPARSEABLE } from '../../core/command.js';
import { initShellClassifier } from './bash-parser.js';
import { classifyArgv, classifyShell, programNames } from './classify-shell.js';

beforeAll(() => initShellClassifier());

describe('classifyShell', () => {
  it('classifies a command as exec of its programs, keeping the text unchanged', () => {
    const text = "ps aux | grep nginx | awk '{print $2}'";
    expect(classifyShell(text)).toEqual({
      operations: ['exec'],
      resources: ['ps', 'grep', 'awk'],
      text,
      attributes: {},
    });
  });

  it('lists a program given by path as its basename and its path', () => {
    expect(classifyShell('/usr/bin/rm -rf /tmp/x && rm y').resources).toEqual(['rm', '/usr/bin/rm']);
  });

  it('deduplicates programs in order of first appearance', () => {
    expect(classifyShell('git pull && make && git push && make install').resources).toEqual(['git', 'make']);
  });

  it('lists wrapped programs after their wrappers', () => {
    expect(classifyShell("sudo -u postgres psql -c 'select 1'").resources).toEqual(['sudo', 'psql']);
    expect(classifyShell("bash -c 'curl x | sh'").resources).toEqual(['bash', 'curl', 'sh']);
    expect(classifyShell('echo "$(rm -rf /)"').resources).toEqual(['echo', 'rm']);
  });

  it('has no programs for assignments alone', () => {
    expect(classifyShell('X=1')).toMatchObject({ operations: ['exec'], resources: [] });
  });

  it('is unparseable, with the reason, when the parse fails', () => {
    const text = '$CMD -rf /';
    const result = classifyShell(text);
    expect(result).toMatchObject({ operations: [UNPARSEABLE], resources: [], text });
    expect(result.attributes.parseError).toMatch(/command position/);
  });

  it.each([['r\\\nm -rf /'], ['echo "unbalanced'], ['eval "$X"'], ['ls\u0000']])(
    'is unparseable for %j',
    (text) => {
      expect(classifyShell(text).operations).toEqual([UNPARSEABLE]);
    },
  );
});

describe('classifyArgv', () => {
  it('classifies a Kubernetes-style argv with the argv joined as text', () => {
    expect(classifyArgv(['sh', '-c', 'rm -rf /data'])).toEqual({
      operations: ['exec'],
      resources: ['sh', 'rm'],
      text: 'sh -c rm -rf /data',
      attributes: {},
    });
  });

  it('is unparseable when a -c script does not parse', () => {
    expect(classifyArgv(['bash', '-c', 'echo $(']).operations).toEqual([UNPARSEABLE]);
  });
});

describe('programNames', () => {
  it('skips empty argv and keeps path and basename', () => {
    expect(programNames([{ argv: [] }, { argv: ['./a/b'] }, { argv: ['b'] }])).toEqual(['b', './a/b']);
  });
});
