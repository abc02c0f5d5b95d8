/**
 * A PostgreSQL of a test file's own, for tests that stop, kill or fill it: the shared harness
 * server must stay up for everyone else.
 */
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCertificateAuthority } from '../../operator/pki/certificates.js';
import { locateBinaries } from './binaries.js';
import { startPostgres, type PostgresServer } from './postgres.js';

export async function startPrivatePostgres(purpose: string): Promise<PostgresServer & { dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), `crewgate-${purpose}-`));
  // The server runs as another OS user and must reach its subdirectory.
  chmodSync(dir, 0o755);
  const ca = await createCertificateAuthority(`${purpose}-ca`);
  writeFileSync(join(dir, 'ca.crt'), ca.certificatePem);
  const server = await startPostgres(locateBinaries(), join(dir, 'pg'), ca, join(dir, 'ca.crt'));
  return Object.assign(server, { dir });
}
