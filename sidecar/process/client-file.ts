/**
 * Writes the agent's client files the in-pod sidecar renders (kubeconfig, ssh_config, known_hosts)
 * into the client config volume (an emptyDir the sidecar alone mounts read-write, app containers
 * read-only). Written to a temporary name and renamed, so a kubectl or ssh that reads one at any
 * moment finds either no file or the whole file.
 */
import { renameSync, writeFileSync } from 'node:fs';

export class ClientFileWriteError extends Error {
  override name = 'ClientFileWriteError';
}

/** A file for the agent's clients, and what it is (for logs and errors). */
export interface ClientFile {
  file: string;
  text: string;
  what: string;
}

/** World-readable (the app containers run as any UID); none holds a secret: CAs, public keys, ports. */
export function writeClientFile({ file, text, what }: ClientFile): void {
  const temporary = `${file}.${process.pid}.tmp`;
  try {
    writeFileSync(temporary, text, { mode: 0o644 });
    renameSync(temporary, file);
  } catch (error) {
    throw new ClientFileWriteError(`cannot write the ${what} ${file}: ${(error as Error).message}`);
  }
}
