import { describe, expect, it } from 'vitest';
import type { BuilderPod } from '../pkg/kube/builders.ts';
import { pickPod } from '../pkg/kube/builders.ts';
import { parseToleration, podForPlatform } from './cluster-builders.ts';

const pod = (name: string, arch?: string, ready = true): BuilderPod => ({ name, node: 'n', phase: 'Running', ready, ...(arch ? { arch } : {}) });

describe('choosing a builder pod', () => {
  it('sends one context directory to the same pod every time, and moves few contexts when a pod goes', () => {
    const pods = ['a', 'b', 'c'].map((name) => pod(name));
    const contexts = Array.from({ length: 60 }, (_, index) => `/src/project-${index}`);
    const before = contexts.map((key) => pickPod(pods, key)?.name);
    expect(contexts.map((key) => pickPod(pods, key)?.name)).toEqual(before);
    expect(new Set(before).size).toBe(3);
    const after = contexts.map((key) => pickPod(pods.filter((candidate) => candidate.name !== 'c'), key)?.name);
    // Only the contexts that were on c move.
    contexts.forEach((_, index) => {
      if (before[index] !== 'c') expect(after[index]).toBe(before[index]);
    });
    expect(pickPod([pod('x', undefined, false)], '/src')).toBeUndefined();
  });

  it('prefers a pod pinned to the platform, then unpinned pods, then any', () => {
    const pods = [pod('generic'), pod('arm', 'arm64'), pod('amd', 'amd64')];
    expect(podForPlatform(pods, 'linux/arm64', '/src')).toEqual({ pod: pods[1], native: true });
    expect(podForPlatform(pods, 'linux/s390x', '/src')).toEqual({ pod: pods[0], native: false });
    expect(podForPlatform([pods[1] as BuilderPod], 'linux/amd64', '/src')).toEqual({ pod: pods[1], native: false });
  });
});

describe('--tolerations', () => {
  it('reads kubectl-style shorthands', () => {
    expect(parseToleration('dedicated=builds:NoSchedule')).toEqual({ key: 'dedicated', operator: 'Equal', value: 'builds', effect: 'NoSchedule' });
    expect(parseToleration('spot:NoExecute')).toEqual({ key: 'spot', operator: 'Exists', effect: 'NoExecute' });
    expect(parseToleration('arch=arm64')).toEqual({ key: 'arch', operator: 'Equal', value: 'arm64' });
    expect(parseToleration('*')).toEqual({ operator: 'Exists' });
    expect(() => parseToleration('a:Sometimes')).toThrow(/is not a toleration/);
  });
});
