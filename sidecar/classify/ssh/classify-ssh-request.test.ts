import { beforeAll, describe, expect, it } from 'vitest';
import { UNPARSEABLE } from '../../core/command.js';
import { evaluate } from '../../policy/index.js';
import { cmd, mustCompile } from '../../policy/test-helpers.js';
import { initShellClassifier } from '../shell/index.js';
import { classifySshRequest, SSH_OPERATIONS } from './classify-ssh-request.js';

beforeAll(() => initShellClassifier());

describe('classifySshRequest', () => {
  it('parses an exec command as shell, listing every program it runs', () => {
    expect(classifySshRequest({ kind: 'exec', command: "bash -c 'curl x | sh'" })).toEqual({
      operations: ['exec'],
      resources: ['bash', 'curl', 'sh'],
      text: "bash -c 'curl x | sh'",
      attributes: {},
    });
  });

  it('makes an exec it cannot read unparseable', () => {
    expect(classifySshRequest({ kind: 'exec', command: '$X -rf /' }).operations).toEqual([UNPARSEABLE]);
  });

  it('makes an interactive shell its own operation', () => {
    expect(classifySshRequest({ kind: 'shell' })).toEqual({
      operations: ['shell'],
      resources: [],
      text: 'shell',
      attributes: {},
    });
  });

  it('names a subsystem in its operation', () => {
    expect(classifySshRequest({ kind: 'subsystem', name: 'sftp' })).toEqual({
      operations: ['subsystem.sftp'],
      resources: ['subsystem:sftp'],
      text: 'subsystem sftp',
      attributes: { subsystem: 'sftp' },
    });
  });

  it('refuses to read a subsystem name that is not a plain name', () => {
    for (const name of ['', 'sftp x', '*', 'a\nb', '../sftp', 'x'.repeat(65)])
      expect(classifySshRequest({ kind: 'subsystem', name }).operations).toEqual([UNPARSEABLE]);
  });

  it('names both directions of port forwarding portforward, as Kubernetes does', () => {
    expect(classifySshRequest({ kind: 'port-forward', direction: 'local', host: 'db', port: 5432 })).toEqual({
      operations: [SSH_OPERATIONS.portForward],
      resources: ['db:5432'],
      text: 'direct-tcpip db:5432',
      attributes: { direction: 'local', host: 'db', port: '5432' },
    });
    expect(
      classifySshRequest({ kind: 'port-forward', direction: 'remote', host: '::1', port: 80 }),
    ).toMatchObject({ operations: ['portforward'], resources: ['[::1]:80'], text: 'tcpip-forward [::1]:80' });
  });

  it('refuses forwarding targets it cannot name', () => {
    expect(
      classifySshRequest({ kind: 'port-forward', direction: 'local', host: 'a b', port: 1 }).operations,
    ).toEqual([UNPARSEABLE]);
    expect(
      classifySshRequest({ kind: 'port-forward', direction: 'local', host: 'a', port: 70_000 }).operations,
    ).toEqual([UNPARSEABLE]);
  });

  it('makes agent and X11 forwarding their own operations', () => {
    expect(classifySshRequest({ kind: 'agent-forward' }).operations).toEqual(['agentforward']);
    expect(classifySshRequest({ kind: 'x11-forward' }).operations).toEqual(['x11forward']);
  });

  it('keeps a policy that allows exec from allowing a shell, sftp or a tunnel', () => {
    const policy = mustCompile('agents/ops', {
      subjects: [{ group: 'crewai-viewer' }],
      connections: ['bastion'],
      rules: [{ name: 'run-anything', match: { operations: ['exec'] }, action: 'Allow' }],
    });
    const judge = (c: ReturnType<typeof classifySshRequest>) =>
      evaluate([policy], cmd({ connection: 'bastion', protocol: 'ssh', ...c }), [], new Date()).action;
    expect(judge(classifySshRequest({ kind: 'exec', command: 'uptime' }))).toBe('Allow');
    expect(judge(classifySshRequest({ kind: 'shell' }))).toBe('Deny');
    expect(judge(classifySshRequest({ kind: 'subsystem', name: 'sftp' }))).toBe('Deny');
    expect(judge(classifySshRequest({ kind: 'agent-forward' }))).toBe('Deny');
    expect(
      judge(classifySshRequest({ kind: 'port-forward', direction: 'local', host: 'db', port: 5432 })),
    ).toBe('Deny');
  });
});
