/**
 * A server process the harness owns: output goes to a log file in its temp dir, readiness is a
 * probe the caller gives, and a process that dies before it is ready fails with its last log lines.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';

export interface StartOptions {
  name: string;
  command: string;
  args: string[];
  logFile: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  uid?: number;
  gid?: number;
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

/** Last resort: a harness whose parent exits without stopping it must not leave servers behind. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const child of live) child.kill('SIGKILL');
  });
}

export class ProcessFailedError extends Error {
  constructor(name: string, detail: string, logTail: string) {
    super(`${name} ${detail}\n--- last lines of its log ---\n${logTail}`);
    this.name = 'ProcessFailedError';
  }
}

export function tail(file: string, lines = 30): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

export class ManagedProcess {
  private readonly child: ChildProcess;
  private exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  private readonly exitPromise: Promise<void>;

  constructor(readonly options: StartOptions) {
    installExitHook();
    const log = createWriteStream(options.logFile, { flags: 'a' });
    this.child = spawn(options.command, options.args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      uid: options.uid,
      gid: options.gid,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout?.pipe(log, { end: false });
    this.child.stderr?.pipe(log, { end: false });
    live.add(this.child);
    this.exitPromise = new Promise((resolve) => {
      this.child.on('exit', (code, signal) => {
        this.exited = { code, signal };
        live.delete(this.child);
        resolve();
      });
      this.child.on('error', (error) => {
        log.write(`spawn error: ${error.message}\n`);
        this.exited = { code: -1, signal: null };
        live.delete(this.child);
        resolve();
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return this.exited === undefined;
  }

  /** Polls `probe` until it answers true; fails early if the process exits. */
  async waitUntilReady(probe: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.exited) {
        throw new ProcessFailedError(
          this.options.name,
          `exited (code ${this.exited.code}, signal ${this.exited.signal}) before it was ready`,
          tail(this.options.logFile),
        );
      }
      if (await probe().catch(() => false)) return;
      if (Date.now() > deadline) {
        throw new ProcessFailedError(
          this.options.name,
          `not ready after ${timeoutMs} ms`,
          tail(this.options.logFile),
        );
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** SIGTERM, then SIGKILL after `graceMs`. */
  async stop(graceMs = 5_000): Promise<void> {
    if (this.exited) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exitPromise;
    clearTimeout(timer);
  }

  /** SIGKILL at once: for fault tests that need a server to vanish. */
  async kill(): Promise<void> {
    if (this.exited) return;
    // Its children go too, as in a crash of the machine: a PostgreSQL backend outliving its
    // postmaster can still answer the query in flight before it notices.
    if (this.child.pid !== undefined) spawnSync('pkill', ['-KILL', '-P', String(this.child.pid)]);
    this.child.kill('SIGKILL');
    await this.exitPromise;
  }
}
