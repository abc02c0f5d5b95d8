// Prints vitest's totals as the one plain line CI reads: `N passed, N failed[, N skipped]`.
import { readFileSync } from 'node:fs';

const file = process.argv[2] ?? '.vitest-results.json';
let results;
try {
  results = JSON.parse(readFileSync(file, 'utf8'));
} catch (error) {
  console.log('0 passed, 1 failed');
  console.error(`no vitest results in ${file}: ${error.message}`);
  process.exit(0);
}
const skipped = (results.numPendingTests ?? 0) + (results.numTodoTests ?? 0);
// A file that fails outside its tests (a broken import, a beforeAll that throws: its tests are then
// reported skipped, not failed) must still count as a failure, once.
const failedSuites = (results.testResults ?? []).filter(
  (r) => r.status === 'failed' && !(r.assertionResults ?? []).some((a) => a.status === 'failed'),
).length;
const failed = (results.numFailedTests ?? 0) + failedSuites;
console.log(
  `${results.numPassedTests ?? 0} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ''}`,
);
