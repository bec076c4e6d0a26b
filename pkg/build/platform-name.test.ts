import { describe, expect, it } from 'vitest';
import { normalizePlatform } from './platform-name.ts';

// Restated from containerd's platforms.Parse + FormatAll, which buildx applies to an annotation's [platform].
describe('normalizePlatform', () => {
  const host = { os: 'linux', arch: 'amd64' };
  const fail = () => new Error('bad');
  it.each([
    ['linux/amd64', 'linux/amd64'],
    ['linux/x86_64', 'linux/amd64'],
    ['linux/aarch64', 'linux/arm64'],
    ['linux/arm64/v8', 'linux/arm64'],
    ['linux/arm', 'linux/arm/v7'],
    ['linux/armhf', 'linux/arm/v7'],
    ['linux/armel', 'linux/arm/v6'],
    ['linux/arm/6', 'linux/arm/v6'],
    ['linux/i386', 'linux/386'],
    ['Linux/AMD64', 'linux/amd64'],
    ['arm64', 'linux/arm64'],
    ['windows', 'windows/amd64'],
    ['linux/riscv64', 'linux/riscv64'],
  ])('%s -> %s', (given, expected) => {
    expect(normalizePlatform(given, host, fail)).toBe(expected);
  });

  it('refuses empty parts and more than three', () => {
    expect(() => normalizePlatform('linux//amd64', host, fail)).toThrow('bad');
    expect(() => normalizePlatform('linux/arm/v7/x', host, fail)).toThrow('bad');
  });
});
