import { describe, expect, it } from 'vitest';
import type { BuilderPod } from '../pkg/kube/builders.ts';
import { checkAllNodesFlags } from './all-nodes-run.ts';
import type { BuildArgv } from './build-run.ts';
import { podPerNode } from './every-node-builders.ts';

const pod = (name: string, node: string, ready = true): BuilderPod => ({ name, node, phase: 'Running', ready });

describe('--all-nodes', () => {
  it('takes one ready pod per node, the same one for a context every time, in node order', () => {
    const pods = [pod('b-1', 'node-b'), pod('a-1', 'node-a'), pod('b-2', 'node-b'), pod('c-1', 'node-c', false)];
    const chosen = podPerNode(pods, '/src/app');
    expect(chosen.map((one) => one.node)).toEqual(['node-a', 'node-b']);
    expect(podPerNode([...pods].reverse(), '/src/app')).toEqual(chosen);
    // Another context may go to the other pod of node-b, never to a pod that is not ready.
    const onB = new Set(Array.from({ length: 40 }, (_, index) => podPerNode(pods, `/src/${index}`)[1]?.name));
    expect([...onB].sort()).toEqual(['b-1', 'b-2']);
  });

  it('refuses what cannot hold for one image per node, naming the flags, before connecting', () => {
    const argv = { output: [], push: false, sign: false, tag: ['app:1'] } as unknown as BuildArgv;
    expect(() => checkAllNodesFlags(argv, true)).not.toThrow();
    expect(() => checkAllNodesFlags(argv, false)).toThrow(/names a daemon outside it/);
    expect(() => checkAllNodesFlags({ ...argv, node: 'n1' }, true)).toThrow(/--all-nodes and --node both say where to build/);
    expect(() => checkAllNodesFlags({ ...argv, load: false }, true)).toThrow(/--load=false/);
    expect(() => checkAllNodesFlags({ ...argv, push: true, sign: true }, true)).toThrow('--all-nodes builds one image per node, so it cannot be combined with --push, --sign');
    expect(() => checkAllNodesFlags({ ...argv, iidfile: 'id' }, true)).toThrow(/--iidfile/);
  });
});
