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
  const id = (flag: string, user?: string) =>
    execFileSync('id', user ? [flag, user] : [flag], { encoding: 'utf8' }).trim();
  if (process.getuid?.() !== 0) {
    return { name: id('-un'), uid: Number(id('-u')), gid: Number(id('-g')) };
  }
  try {
    return { name: SERVICE_USER, uid: Number(id('-u', SERVICE_USER)), gid: Number(id('-g', SERVICE_USER)) };
  } catch {
    throw new Error(
      `running as root, but the OS user "${SERVICE_USER}" does not exist: run \`make deps\` first`,
    );
  }
}

export function chownRecursive(path: string, user: OsUser): void {
  chownSync(path, user.uid, user.gid);
  if (statSync(path).isDirectory()) {
    for (const entry of readdirSync(path)) chownRecursive(join(path, entry), user);
  }
}
