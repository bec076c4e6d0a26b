// make test's closing lines, from a real vitest run: a suite of one passing test, one skipped with
// skipUnlessPossible and (in the second run) one skipped with a bare it.skip, reported as make test
// reports them (vitest's JSON reporter), then read by hack/test-summary.ts as make test runs it.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

// Inside the checkout (test-results/ is ignored by git), so that the suite resolves 'vitest' from node_modules.
mkdirSync('test-results', { recursive: true });
const root = mkdtempSync(resolve('test-results', 'summary-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const SKIP = resolve('integration/harness/skip.ts');

function summarise(name: string, tests: string, suiteFails = false): { status: number | null; stdout: string; stderr: string; file: string } {
  const dir = join(root, name);
  mkdirSync(dir);
  writeFileSync(join(dir, 'suite.test.ts'), `import { afterAll, beforeAll, expect, it } from 'vitest';\nimport { skipUnlessPossible } from ${JSON.stringify(SKIP)};\n${tests}`);
  const report = join(dir, 'report.json');
  const run = spawnSync(process.execPath, [resolve('node_modules/vitest/vitest.mjs'), 'run', '--root', dir, '--reporter=json', `--outputFile.json=${report}`], { encoding: 'utf8' });
  expect(run.status, run.stderr).toBe(suiteFails ? 1 : 0);
  // The suite's file as make test names it: relative to the checkout.
  return { ...spawnSync(process.execPath, [resolve('hack/test-summary.ts'), report], { encoding: 'utf8' }), file: relative(process.cwd(), join(dir, 'suite.test.ts')) };
}

// Each test starts a vitest of its own: more than a unit test's usual 10 seconds on a busy machine.
const RUN_TIMEOUT = 60_000;
const PASSING = "it('passes', () => { expect(1).toBe(1); });\n";
const EXPLAINED = "it('needs a machine we lack', (context) => { skipUnlessPossible(context, 'no such machine here'); });\n";

describe("make test's closing lines (hack/test-summary.ts)", () => {
  it('count the skipped tests and print each with the reason it stated', () => {
    const summary = summarise('explained', PASSING + EXPLAINED);
    expect(summary.status).toBe(0);
    expect(summary.stdout).toBe(`skipped: needs a machine we lack (${summary.file}): no such machine here\ntests: 1 passed, 0 failed, 1 skipped\n`);
  }, RUN_TIMEOUT);

  it('fail the run when a test was skipped without a reason, and name it', () => {
    const summary = summarise('silent', `${PASSING + EXPLAINED}it.skip('skipped in silence', () => {});\n`);
    expect(summary.status).toBe(1);
    expect(summary.stdout).toContain(`skipped: skipped in silence (${summary.file}): NO REASON STATED\n`);
    expect(summary.stdout).toMatch(/tests: 1 passed, 0 failed, 2 skipped\n$/);
    expect(summary.stderr).toContain('1 test(s) skipped without a stated reason');
  }, RUN_TIMEOUT);

  it("name a file whose set-up failed, with the error's first lines, and count its unrun tests as skipped for that reason", () => {
    const setUp = "beforeAll(() => { throw new Error('the registry did not start: port 5000 is taken'); });\n";
    const summary = summarise('setup', setUp + PASSING, true);
    expect(summary.status).toBe(1);
    expect(summary.stdout).toContain(`failed: ${summary.file} (outside its tests):\n    the registry did not start: port 5000 is taken\n`);
    expect(summary.stdout).toContain(`skipped: passes (${summary.file}): not run: its file failed (above)\n`);
    expect(summary.stdout).toMatch(/tests: 0 passed, 0 failed, 1 skipped; 1 file\(s\) failed outside their tests\n$/);
  }, RUN_TIMEOUT);

  it('print a failed test with the first lines of its failure', () => {
    const summary = summarise('failing', `${PASSING}it('fails', () => { expect('pushed').toBe('absent'); });\n`, true);
    expect(summary.status).toBe(1);
    expect(summary.stdout).toContain(`failed: fails (${summary.file}):\n    AssertionError: expected 'pushed' to be 'absent'`);
    expect(summary.stdout).toMatch(/tests: 1 passed, 1 failed, 0 skipped\n$/);
  }, RUN_TIMEOUT);

  it('name a file whose clean-up failed after all its tests passed, which the report gives no message for', () => {
    const cleanUp = "afterAll(() => { throw new Error('EBUSY: the daemon folder is still mounted'); });\n";
    const summary = summarise('cleanup', cleanUp + PASSING, true);
    expect(summary.status).toBe(1);
    expect(summary.stdout).toContain(`failed: ${summary.file} (outside its tests):\n`);
    expect(summary.stdout).toMatch(/tests: 1 passed, 0 failed, 0 skipped; 1 file\(s\) failed outside their tests\n$/);
  }, RUN_TIMEOUT);
});
