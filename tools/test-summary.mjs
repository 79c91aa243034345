#!/usr/bin/env node
/*
 * Prints the closing line of `make test`, "N passed, N failed", from vitest's JSON report, and
 * exits non-zero when anything failed. A test file that failed to load has no failed test in the
 * report but did fail: it counts as one failure.
 *
 * Usage: node tools/test-summary.mjs <vitest-report.json>
 */
import { readFileSync } from 'node:fs';

const [reportPath] = process.argv.slice(2);
let report;
try {
  report = JSON.parse(readFileSync(reportPath, 'utf8'));
} catch (error) {
  console.log(`test-summary: no vitest report at ${reportPath} (${error.message})`);
  console.log('0 passed, 1 failed');
  process.exit(1);
}
const brokenFiles = report.testResults.filter(
  (file) => file.status === 'failed' && !file.assertionResults.some((test) => test.status === 'failed'),
).length;
const passed = report.numPassedTests;
const failed = report.numFailedTests + brokenFiles;
const skipped = report.numPendingTests + report.numTodoTests;
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed === 0 && report.success !== false ? 0 : 1);
