// Prints the closing lines of a `make test` run from the JSON reports vitest wrote: every failure
// with its first lines (a file whose set-up failed names why, so a CI log cut to its tail still
// says what broke), every skipped test with the reason it stated, then "tests: N passed, N failed,
// N skipped", the plain form CI reads in any language. Exits 1 when the reports are missing or
// counted no test (an empty run never looks green), when a test or a file failed, or when a test
// was skipped without a stated reason (integration/harness/skip.ts records one), so that a skip is
// always a decision someone can read. Tests left unrun because their file's set-up failed are
// counted as skipped, with that failure as their reason.
import { existsSync, readFileSync } from 'node:fs';

interface AssertionResult {
  readonly fullName: string;
  readonly status: string;
  readonly failureMessages?: readonly string[];
  readonly meta?: { readonly skipReason?: string };
}

interface FileResult {
  readonly name: string;
  readonly status: string;
  readonly message?: string;
  readonly assertionResults: readonly AssertionResult[];
}

interface VitestJsonReport {
  readonly numPassedTests: number;
  readonly numFailedTests: number;
  readonly testResults: readonly FileResult[];
}

const SKIPPED = new Set(['skipped', 'pending', 'todo', 'disabled']);
/** How much of a failure message is printed: enough for the cause, not a whole stack. */
const MESSAGE_LINES = 6;

/** The first lines of a failure, without colour codes, indented under its heading. */
function excerpt(message: string): string {
  // eslint-disable-next-line no-control-regex
  const lines = message.replace(/\x1b\[[0-9;]*m/g, '').split('\n').filter((line) => line.trim() !== '');
  return lines.slice(0, MESSAGE_LINES).map((line) => `    ${line}`).join('\n');
}

let passed = 0;
let failed = 0;
let failedFiles = 0;
const failures: string[] = [];
const skipped: string[] = [];
let unexplained = 0;
for (const file of process.argv.slice(2)) {
  if (!existsSync(file)) {
    console.error(`test-summary: ${file} is missing (did that suite run?)`);
    process.exit(1);
  }
  const report = JSON.parse(readFileSync(file, 'utf8')) as VitestJsonReport;
  passed += report.numPassedTests;
  failed += report.numFailedTests;
  for (const testFile of report.testResults) {
    const name = testFile.name.replace(`${process.cwd()}/`, '');
    // A file can fail outside any test (its beforeAll, an import: vitest gives the file a message;
    // an afterAll: the file is failed with no message and every test passed).
    const anyTestFailed = testFile.assertionResults.some((test) => test.status === 'failed');
    const fileFailure =
      testFile.status === 'failed' && (testFile.message || !anyTestFailed)
        ? testFile.message || "the report gives no message (an after-hook, most likely): vitest's output above has it"
        : undefined;
    if (fileFailure !== undefined) {
      failedFiles += 1;
      failures.push(`failed: ${name} (outside its tests):\n${excerpt(fileFailure)}`);
    }
    for (const test of testFile.assertionResults) {
      if (test.status === 'failed') {
        failures.push(`failed: ${test.fullName} (${name}):\n${excerpt(test.failureMessages?.[0] ?? '(no message)')}`);
        continue;
      }
      if (!SKIPPED.has(test.status)) continue;
      const reason = test.meta?.skipReason ?? (fileFailure !== undefined ? 'not run: its file failed (above)' : undefined);
      if (reason === undefined) unexplained += 1;
      skipped.push(`skipped: ${test.fullName} (${name}): ${reason ?? 'NO REASON STATED'}`);
    }
  }
}
for (const line of skipped) console.log(line);
for (const line of failures) console.log(line);
console.log(`tests: ${passed} passed, ${failed} failed, ${skipped.length} skipped${failedFiles > 0 ? `; ${failedFiles} file(s) failed outside their tests` : ''}`);
if (unexplained > 0) {
  console.error(`test-summary: ${unexplained} test(s) skipped without a stated reason; skip with skipUnlessPossible (integration/harness/skip.ts)`);
}
if (passed + failed === 0 || failed > 0 || failedFiles > 0 || unexplained > 0) process.exitCode = 1;
