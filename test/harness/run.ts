import { spawn } from 'node:child_process';

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a real client (psql, kubectl, ssh...) to completion; never throws on a non-zero exit. */
export function runCommand(
  command: string,
  args: string[],
  options: { input?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: options.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({
        code,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      });
    });
    child.stdin.end(options.input);
  });
}

/** kubectl against the harness, as the admin unless another kubeconfig is given. */
export function kubectl(
  harness: { controlPlane: { kubectl: string; adminKubeconfig: string } },
  args: string[],
  options: { input?: string; kubeconfig?: string } = {},
): Promise<RunResult> {
  return runCommand(
    harness.controlPlane.kubectl,
    ['--kubeconfig', options.kubeconfig ?? harness.controlPlane.adminKubeconfig, ...args],
    {
      input: options.input,
    },
  );
}
