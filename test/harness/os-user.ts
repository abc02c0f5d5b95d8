import { execFileSync } from 'node:child_process';
import { chownSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** The dedicated OS user `make deps` creates: PostgreSQL refuses to run as root. */
export const SERVICE_USER = 'crewgate';

export interface OsUser {
  name: string;
  uid: number;
  gid: number;
}

/** The user servers that refuse root run as: the service user when we are root, else ourselves. */
export function serviceUser(): OsUser {
  if (process.getuid?.() !== 0) {
    return { name: execFileSync('id', ['-un'], { encoding: 'utf8' }).trim(), uid: process.getuid!(), gid: process.getgid!() };
  }
  try {
    const uid = Number(execFileSync('id', ['-u', SERVICE_USER], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', SERVICE_USER], { encoding: 'utf8' }).trim());
    return { name: SERVICE_USER, uid, gid };
  } catch {
    throw new Error(`running as root, but the OS user "${SERVICE_USER}" does not exist: run \`make deps\` first`);
  }
}

export function chownRecursive(path: string, user: OsUser): void {
  chownSync(path, user.uid, user.gid);
  if (statSync(path).isDirectory()) {
    for (const entry of readdirSync(path)) chownRecursive(join(path, entry), user);
  }
}
