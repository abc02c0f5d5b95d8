/**
 * The one line CI reads (`N passed, N failed`) must count a file that failed outside its tests, or
 * a red run would print `0 failed`.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repositoryRoot } from '../harness/paths.js';

const summary = (results: unknown): string => {
  const file = join(mkdtempSync(join(tmpdir(), 'crewgate-summary-')), 'results.json');
  writeFileSync(file, JSON.stringify(results));
  return execFileSync('node', [join(repositoryRoot, 'scripts/test-summary.mjs'), file])
    .toString()
    .trim();
};

describe('scripts/test-summary.mjs', () => {
  it('prints passed and failed tests', () => {
    expect(
      summary({
        numPassedTests: 5,
        numFailedTests: 1,
        testResults: [{ status: 'failed', assertionResults: [{ status: 'failed' }] }],
      }),
    ).toBe('5 passed, 1 failed');
  });

  it('counts a file whose beforeAll threw (its tests skipped) as one failure', () => {
    expect(
      summary({
        numPassedTests: 7,
        numFailedTests: 0,
        numPendingTests: 3,
        testResults: [
          { status: 'passed', assertionResults: [{ status: 'passed' }] },
          { status: 'failed', assertionResults: [{ status: 'pending' }, { status: 'pending' }] },
        ],
      }),
    ).toBe('7 passed, 1 failed, 3 skipped');
  });

  it('counts a file that failed to load as one failure', () => {
    expect(summary({ numPassedTests: 2, testResults: [{ status: 'failed', assertionResults: [] }] })).toBe(
      '2 passed, 1 failed',
    );
  });

  it('reports a missing results file as a failure', () => {
    expect(
      execFileSync('node', [join(repositoryRoot, 'scripts/test-summary.mjs'), '/nonexistent.json'], {
        stdio: ['ignore', 'pipe', 'ignore'],
      })
        .toString()
        .trim(),
    ).toBe('0 passed, 1 failed');
  });
});
