import type { V1Node } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { nodesThatFit, tolerates } from './node-fit.ts';

function node(name: string, labels: Record<string, string>, extra: V1Node['spec'] = {}): V1Node {
  return { metadata: { name, labels: { 'kubernetes.io/hostname': name, ...labels } }, spec: extra };
}

const amd = { 'kubernetes.io/arch': 'amd64' };
const arm = { 'kubernetes.io/arch': 'arm64' };

describe('the nodes a builder may run on (create --per-node)', () => {
  it('takes the nodes whose labels match the node selector, in name order', () => {
    const nodes = [node('b', amd), node('a', amd), node('c', arm)];
    expect(nodesThatFit(nodes, {}, [])).toEqual(['a', 'b', 'c']);
    expect(nodesThatFit(nodes, { 'kubernetes.io/arch': 'arm64' }, [])).toEqual(['c']);
    expect(nodesThatFit(nodes, { 'kubernetes.io/arch': 's390x' }, [])).toEqual([]);
  });

  it('leaves out cordoned nodes and nodes with a NoSchedule or NoExecute taint not tolerated; PreferNoSchedule does not keep pods away', () => {
    const nodes = [
      node('cordoned', amd, { unschedulable: true }),
      node('dedicated', amd, { taints: [{ key: 'dedicated', value: 'builds', effect: 'NoSchedule' }] }),
      node('draining', amd, { taints: [{ key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' }] }),
      node('soft', amd, { taints: [{ key: 'spot', effect: 'PreferNoSchedule' }] }),
    ];
    expect(nodesThatFit(nodes, {}, [])).toEqual(['soft']);
    expect(nodesThatFit(nodes, {}, [{ key: 'dedicated', operator: 'Equal', value: 'builds', effect: 'NoSchedule' }])).toEqual(['dedicated', 'soft']);
    expect(nodesThatFit(nodes, {}, [{ operator: 'Exists' }])).toEqual(['dedicated', 'draining', 'soft']);
  });

  it('matches tolerations as Kubernetes does: Exists with or without a key, Equal by value, an effect only when given', () => {
    const taint = { key: 'dedicated', value: 'builds', effect: 'NoSchedule' };
    expect(tolerates([{ key: 'dedicated', operator: 'Exists' }], taint)).toBe(true);
    expect(tolerates([{ operator: 'Exists' }], taint)).toBe(true);
    expect(tolerates([{ key: 'dedicated', operator: 'Equal', value: 'builds' }], taint)).toBe(true);
    expect(tolerates([{ key: 'dedicated', operator: 'Equal', value: 'other' }], taint)).toBe(false);
    expect(tolerates([{ key: 'dedicated', operator: 'Exists', effect: 'NoExecute' }], taint)).toBe(false);
    expect(tolerates([{ key: 'other', operator: 'Exists' }], taint)).toBe(false);
  });
});
