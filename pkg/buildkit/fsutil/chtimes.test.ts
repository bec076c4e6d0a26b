import { lstatSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { secondsOf, setTimes, touchTimestamp } from './chtimes.ts';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })));

describe('setTimes', () => {
  it('sets times to the nanosecond, symlinks their own, whole seconds and fractions alike', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kb-chtimes-'));
    dirs.push(dir);
    const paths = ['a', 'b', 'c', 'd'].map((name) => join(dir, name));
    for (const path of paths.slice(0, 3)) writeFileSync(path, '');
    symlinkSync('does-not-exist', paths[3] as string);
    const times = [1_700_000_000_123_456_789n, 1_700_000_000_000_000_000n, -1_500_000_001n, 1_600_000_000_000_000_001n];
    await setTimes(paths.map((path, i) => ({ path, ns: times[i] as bigint })));
    expect(paths.map((path) => lstatSync(path, { bigint: true }).mtimeNs)).toEqual(times);
    expect(paths.map((path) => lstatSync(path, { bigint: true }).atimeNs)).toEqual(times);
  });

  it('writes touch timestamps in UTC with nine fraction digits, before 1970 too', () => {
    expect(touchTimestamp(1_700_000_000_000_000_001n)).toBe('2023-11-14T22:13:20.000000001Z');
    expect(touchTimestamp(-1_500_000_000n)).toBe('1969-12-31T23:59:58.500000000Z');
    expect(secondsOf(1_700_000_000_000_000_000n)).toBe(1_700_000_000);
  });
});

describe('shellQuote', () => {
  it('keeps quotes, spaces, newlines and $ inside one sh word', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kb-chtimes-'));
    dirs.push(dir);
    const path = join(dir, `it's a $HOME\n\`name\``);
    writeFileSync(path, '');
    await setTimes([{ path, ns: 1_650_000_000_000_000_007n }]);
    expect(lstatSync(path, { bigint: true }).mtimeNs).toBe(1_650_000_000_000_000_007n);
  });
});
