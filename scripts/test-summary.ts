/**
 * Prints one closing line "N passed, N failed[, N skipped][, N run errors]" from vitest JSON reports;
 * exits 1 on any failure, missing report, or vitest run that exited non-zero (`--runs-failed N`, from
 * scripts/test.sh) although its report shows no failed test: vitest does that on an unhandled error.
 */
import { readFileSync } from 'node:fs';

interface Report {
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests: number;
  numTodoTests: number;
  numTotalTests: number;
  success: boolean;
}

let passed = 0;
let failed = 0;
let skipped = 0;
let missing = 0;
let runsFailed = 0;
let failedInReports = 0;
const files: string[] = [];
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  if (argv[i] === '--runs-failed') runsFailed = Number(argv[++i] ?? 0) || 0;
  else files.push(argv[i]!);
}
for (const file of files) {
  try {
    const r = JSON.parse(readFileSync(file, 'utf8')) as Report;
    passed += r.numPassedTests;
    failed += r.numFailedTests;
    skipped += r.numPendingTests + r.numTodoTests;
    if (!r.success && r.numFailedTests === 0) failed += 1; // a suite that failed to load counts as a failure
    if (!r.success || r.numFailedTests > 0) failedInReports++;
  } catch {
    missing++;
  }
}
if (missing) failed += missing;
// Runs that exited non-zero beyond those whose report already shows the failure: errors outside any test.
const runErrors = Math.max(0, runsFailed - failedInReports - missing);
const tail = `${skipped ? `, ${skipped} skipped` : ''}${runErrors ? `, ${runErrors} run error${runErrors > 1 ? 's' : ''} (see "Unhandled Errors" above)` : ''}`;
process.stdout.write(`\n${passed} passed, ${failed} failed${tail}\n`);
process.exit(failed > 0 || runErrors > 0 || passed === 0 ? 1 : 0);
