// The harness's servers are the real ones, reachable the way the product will reach them.
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { runCommand } from '../harness/run.js';

const harness = inject('harness');

describe('PostgreSQL from the harness', () => {
  const pg = harness.postgres;
  const psqlEnv = (password: string) => ({
    ...process.env,
    PGPASSWORD: password,
    PGSSLMODE: 'verify-full',
    PGSSLROOTCERT: pg.caCertificateFile,
    PGCONNECT_TIMEOUT: '5',
  });
  const psql = (user: string, password: string, sql: string) =>
    runCommand(
      join(pg.binDir, 'psql'),
      ['-h', '127.0.0.1', '-p', String(pg.port), '-U', user, '-d', pg.database, '-XAtq', '-c', sql],
      { env: psqlEnv(password) },
    );

  it('answers psql over TLS (verify-full against the harness CA) with SCRAM authentication', async () => {
    const result = await psql(
      pg.app.user,
      pg.app.password,
      'SELECT ssl, current_user FROM pg_stat_ssl WHERE pid = pg_backend_pid(); SELECT count(*) FROM customers; SHOW password_encryption',
    );
    expect(result.stderr).toBe('');
    expect(result.stdout.trim().split('\n')).toEqual(['t|app', '5', 'scram-sha-256']);
  });

  it('refuses a wrong password', async () => {
    const result = await psql(pg.app.user, 'not-the-password', 'SELECT 1');
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/password authentication failed for user "app"/);
  });

  it('holds card numbers that pass the Luhn check and e-mails, for the masking tests', async () => {
    const result = await psql(
      pg.app.user,
      pg.app.password,
      'SELECT card_number, email FROM customers ORDER BY id',
    );
    const rows = result.stdout
      .trim()
      .split('\n')
      .map((line) => line.split('|'));
    const luhn = (digits: string) =>
      [...digits].reverse().reduce((sum, ch, i) => {
        const d = Number(ch) * (i % 2 === 1 ? 2 : 1);
        return sum + (d > 9 ? d - 9 : d);
      }, 0) %
        10 ===
      0;
    expect(rows).toHaveLength(5);
    for (const [card, email] of rows) {
      expect(luhn(card!.replace(/\D/g, ''))).toBe(true);
      expect(email).toMatch(/@example\.com$/);
    }
  });
});

describe('OpenSSH from the harness', () => {
  it('runs a command for the authorized key, with the host key pinned', async () => {
    const s = harness.sshd;
    const result = await runCommand('ssh', [
      '-i',
      s.clientKeyFile,
      '-p',
      String(s.port),
      '-o',
      `UserKnownHostsFile=${s.knownHostsFile}`,
      '-o',
      'StrictHostKeyChecking=yes',
      '-o',
      'BatchMode=yes',
      '-o',
      'IdentitiesOnly=yes',
      `${s.user}@127.0.0.1`,
      'echo hello from $(whoami)',
    ]);
    expect(result.stderr).not.toMatch(/WARNING|denied/i);
    expect(result.stdout.trim()).toBe(`hello from ${s.user}`);
  });

  it('refuses a client whose key it does not know', async () => {
    const s = harness.sshd;
    const result = await runCommand('ssh', [
      '-p',
      String(s.port),
      '-o',
      `UserKnownHostsFile=${s.knownHostsFile}`,
      '-o',
      'StrictHostKeyChecking=yes',
      '-o',
      'BatchMode=yes',
      '-o',
      'IdentitiesOnly=yes',
      '-i',
      '/dev/null',
      `${s.user}@127.0.0.1`,
      'true',
    ]);
    expect(result.code).toBe(255);
    expect(result.stderr).toMatch(/Permission denied/);
  });
});
