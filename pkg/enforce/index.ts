// Enforcement: the signer policy compiled for the admission engines that enforce it in a cluster.
import { toKyverno } from './kyverno.ts';
import { toOpenShift } from './openshift.ts';
import { toPolicyController } from './policy-controller.ts';
import type { ExportInput, ExportResult, ExportTarget } from './export.ts';

export { EXPORT_TARGETS, type ExportInput, type ExportResult, type ExportTarget } from './export.ts';
export { readTrustMaterial, type TrustMaterial } from './trust-material.ts';

const EXPORTERS: Record<ExportTarget, (input: ExportInput) => ExportResult> = {
  'policy-controller': toPolicyController,
  kyverno: toKyverno,
  openshift: toOpenShift,
};

export function exportPolicy(target: ExportTarget, input: ExportInput): ExportResult {
  return EXPORTERS[target](input);
}
