/**
 * SSH channel and global requests as policy operations (DESIGN.md §4). An `exec` command string is
 * parsed by the shell classifier like any other shell text; everything else an SSH client can ask
 * for is its own operation, so that a policy written for `exec` never lets an interactive shell, a
 * file transfer subsystem or a tunnel through by accident.
 *
 * The names follow what the other classifiers already use: `exec` and `shell` as in the shell
 * classifier and DESIGN.md §4, `portforward` as the Kubernetes classifier names the `portforward`
 * subresource, so one rule can allow or deny tunnels on both. Pure: no I/O.
 */
import { UNPARSEABLE, type Classification } from '../../core/command.js';
import { classifyShell } from '../shell/index.js';

/** The operations an SSH session can produce besides `exec` and `unparseable`. */
export const SSH_OPERATIONS = {
  /** `shell` request: an interactive login shell, whatever it is later typed into it. */
  shell: 'shell',
  /** `direct-tcpip` channel (`ssh -L`, `-W`) or `tcpip-forward` global request (`ssh -R`). */
  portForward: 'portforward',
  /** `auth-agent-req@openssh.com` (`ssh -A`): the target could use the agent's keys. */
  agentForward: 'agentforward',
  /** `x11-req` (`ssh -X`): the target could reach the agent's display. */
  x11Forward: 'x11forward',
} as const;

/** `subsystem.<name>`: `subsystem.sftp` for sftp (and for `scp -s`, the SFTP-based scp). */
export function subsystemOperation(name: string): string {
  return `subsystem.${name}`;
}

export type SshRequest =
  | { kind: 'exec'; command: string }
  | { kind: 'shell' }
  | { kind: 'subsystem'; name: string }
  | { kind: 'port-forward'; direction: 'local' | 'remote'; host: string; port: number }
  | { kind: 'agent-forward' }
  | { kind: 'x11-forward' };

/** A subsystem name as RFC 4250 §4.6.1 allows it: printable US-ASCII, optionally `name@domain`. */
const SUBSYSTEM_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}(@[A-Za-z0-9.-]{1,190})?$/;
/** Host names and addresses a forwarding request may name; anything else is unparseable. */
const FORWARD_HOST = /^[A-Za-z0-9._:%-]{0,253}$/;

function unparseable(text: string, reason: string): Classification {
  return { operations: [UNPARSEABLE], resources: [], text, attributes: { parseError: reason } };
}

/**
 * The classification of one SSH request. `exec` is the shell classifier's answer (resources are
 * the programs the command runs); the others name what is reached in `resources` and `attributes`.
 */
export function classifySshRequest(request: SshRequest): Classification {
  switch (request.kind) {
    case 'exec':
      return classifyShell(request.command);
    case 'shell':
      return { operations: [SSH_OPERATIONS.shell], resources: [], text: 'shell', attributes: {} };
    case 'subsystem': {
      const text = `subsystem ${request.name}`;
      if (!SUBSYSTEM_NAME.test(request.name)) return unparseable(text, 'subsystem name is not a plain name');
      return {
        operations: [subsystemOperation(request.name)],
        resources: [`subsystem:${request.name}`],
        text,
        attributes: { subsystem: request.name },
      };
    }
    case 'port-forward': {
      const target = `${request.host.includes(':') ? `[${request.host}]` : request.host}:${request.port}`;
      const text = `${request.direction === 'local' ? 'direct-tcpip' : 'tcpip-forward'} ${target}`;
      if (!FORWARD_HOST.test(request.host)) return unparseable(text, 'forwarding host is not a host name');
      if (!Number.isInteger(request.port) || request.port < 0 || request.port > 65_535)
        return unparseable(text, 'forwarding port is out of range');
      return {
        operations: [SSH_OPERATIONS.portForward],
        resources: [target],
        text,
        attributes: { direction: request.direction, host: request.host, port: String(request.port) },
      };
    }
    case 'agent-forward':
      return {
        operations: [SSH_OPERATIONS.agentForward],
        resources: [],
        text: 'auth-agent-req@openssh.com',
        attributes: {},
      };
    case 'x11-forward':
      return { operations: [SSH_OPERATIONS.x11Forward], resources: [], text: 'x11-req', attributes: {} };
  }
}
