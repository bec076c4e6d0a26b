// Which nodes a builder's pods may run on, as the scheduler would judge it from the node's labels,
// taints and unschedulable flag (create --per-node makes one pod for each). Resources and pod
// affinities are left to the scheduler: a node that fits here may still be full.
import type { V1Node, V1Taint, V1Toleration } from '@kubernetes/client-node';

/** Whether one of `tolerations` tolerates `taint` (the Kubernetes rules: key, operator, value, effect). */
export function tolerates(tolerations: readonly V1Toleration[], taint: V1Taint): boolean {
  return tolerations.some((toleration) => {
    if (toleration.effect && toleration.effect !== taint.effect) return false;
    if (toleration.operator === 'Exists') return !toleration.key || toleration.key === taint.key;
    return toleration.key === taint.key && (toleration.value ?? '') === (taint.value ?? '');
  });
}

/** The names of the nodes whose labels match `nodeSelector`, that take new pods and whose NoSchedule/NoExecute taints are tolerated. */
export function nodesThatFit(nodes: readonly V1Node[], nodeSelector: Readonly<Record<string, string>>, tolerations: readonly V1Toleration[]): string[] {
  return nodes
    .filter((node) => !node.spec?.unschedulable)
    .filter((node) => Object.entries(nodeSelector).every(([key, value]) => node.metadata?.labels?.[key] === value))
    .filter((node) => (node.spec?.taints ?? []).every((taint) => taint.effect === 'PreferNoSchedule' || tolerates(tolerations, taint)))
    .map((node) => node.metadata?.name ?? '')
    .filter(Boolean)
    .sort();
}
