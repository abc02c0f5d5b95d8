/**
 * Writes the kubeconfig the in-pod sidecar renders into the kubeconfig volume (an emptyDir the
 * sidecar alone mounts read-write, app containers read-only). Written to a temporary name and
 * renamed, so a kubectl that reads it at any moment finds either no file or the whole file.
 */
import { renameSync, writeFileSync } from 'node:fs';

export class KubeconfigWriteError extends Error {
  override name = 'KubeconfigWriteError';
}

/** World-readable (the app containers run as any UID); it holds no secret, only the CA and ports. */
export function writeKubeconfigFile(path: string, text: string): void {
  const temporary = `${path}.${process.pid}.tmp`;
  try {
    writeFileSync(temporary, text, { mode: 0o644 });
    renameSync(temporary, path);
  } catch (error) {
    throw new KubeconfigWriteError(`cannot write the kubeconfig ${path}: ${(error as Error).message}`);
  }
}
