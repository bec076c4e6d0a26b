// Prints the closing lines of a `make test` run from the JSON reports vitest wrote: every skipped
// test with the reason it stated, then "tests: N passed, N failed, N skipped", the plain form CI
// reads in any language. Exits 1 when the reports are missing or counted no test (an empty run
// never looks green), when a test failed, or when a test was skipped without a stated reason
// (integration/harness/skip.ts records one), so that a skip is always a decision someone can read.
import { existsSync, readFileSync } from 'node:fs';

interface AssertionResult {
  readonly fullName: string;
  readonly status: string;
  readonly meta?: { readonly skipReason?: string };
}

interface VitestJsonReport {
  readonly numPassedTests: number;
  readonly numFailedTests: number;
  readonly testResults: ReadonlyArray<{ readonly name: string; readonly assertionResults: readonly AssertionResult[] }>;
}

const SKIPPED = new Set(['skipped', 'pending', 'todo', 'disabled']);

let passed = 0;
let failed = 0;
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
    for (const test of testFile.assertionResults) {
      if (!SKIPPED.has(test.status)) continue;
      const reason = test.meta?.skipReason;
      if (reason === undefined) unexplained += 1;
      skipped.push(`skipped: ${test.fullName} (${testFile.name.replace(`${process.cwd()}/`, '')}): ${reason ?? 'NO REASON STATED'}`);
    }
  }
}
for (const line of skipped) console.log(line);
console.log(`tests: ${passed} passed, ${failed} failed, ${skipped.length} skipped`);
if (unexplained > 0) {
  console.error(`test-summary: ${unexplained} test(s) skipped without a stated reason; skip with skipUnlessPossible (integration/harness/skip.ts)`);
}
if (passed + failed === 0 || failed > 0 || unexplained > 0) process.exitCode = 1;
