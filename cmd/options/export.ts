// `kubectl trust export` flags: the policy, the engine to compile it for, and how to print it.
import type { Argv } from 'yargs';
import { kmsTimeoutOption, type KmsTimeoutArgv } from './kms.ts';
import { REQUEST_TIMEOUT_OPTION } from './kube.ts';
import { EXPORT_TARGETS, type ExportTarget } from '../../pkg/enforce/export.ts';
import { last } from './sign.ts';

export interface ExportArgv extends KmsTimeoutArgv {
  policy: string;
  to: ExportTarget;
  name?: string;
  'trusted-root'?: string;
  output: 'yaml' | 'json';
  apply: boolean;
  kubeconfig?: string;
  context?: string;
  'request-timeout': string;
  namespace?: string;
  debug: boolean;
}

export function withExportOptions<T>(parser: Argv<T>) {
  return parser.options({
    policy: { type: 'string', demandOption: true, coerce: last, describe: 'The signer policy file to compile (docs/policy.md)' },
    to: { type: 'string', demandOption: true, choices: EXPORT_TARGETS, coerce: last, describe: 'The admission engine: policy-controller, kyverno or openshift' },
    name: { type: 'string', coerce: last, describe: "Prefix of the objects' names (default: the policy's metadata.name, else kubectl-build)" },
    'trusted-root': { type: 'string', coerce: last, describe: "Sigstore trusted root to inline (default: the policy's trustedRoot)" },
    output: { alias: 'o', type: 'string', choices: ['yaml', 'json'] as const, default: 'yaml', coerce: last, describe: 'yaml (one document per object, for kubectl apply -f -) or json (a v1 List)' },
    apply: { type: 'boolean', default: false, describe: 'Apply the objects to the cluster (server-side) after checking that the engine is installed there, instead of printing them' },
    kubeconfig: { type: 'string', describe: 'Path to the kubeconfig file (for --apply and k8s:// keys)' },
    context: { type: 'string', describe: 'The kubeconfig context (for --apply and k8s:// keys)' },
    ...REQUEST_TIMEOUT_OPTION,
    'kms-timeout': kmsTimeoutOption('no answer ends the command with exit 2, nothing printed or applied'),
    namespace: { alias: 'n', type: 'string', describe: "Namespace of k8s://SECRET keys given without one (default: the context's)" },
  });
}
