// `kubectl trust sweep` flags: which Pods (kubectl's -n / -A), the policy, and what to do with Pods
// whose images fail it (kubectl's --dry-run values; a dry run unless told otherwise).
import type { Argv } from 'yargs';
import { REQUEST_TIMEOUT_OPTION } from './kube.ts';
import { kmsTimeoutOption, type KmsTimeoutArgv } from './kms.ts';
import { registryTimeoutOption, type RegistryTimeoutArgv } from './registry.ts';
import { last } from './sign.ts';

export interface SweepArgv extends RegistryTimeoutArgv, KmsTimeoutArgv {
  policy: string;
  'trusted-root'?: string;
  namespace?: string;
  'all-namespaces': boolean;
  selector?: string;
  evict: boolean;
  'dry-run': 'client' | 'server' | 'none';
  output: 'table' | 'json';
  concurrency: number;
  'allow-http-registry': boolean;
  kubeconfig?: string;
  context?: string;
  'request-timeout': string;
  'print-cronjob': boolean;
  image?: string;
  schedule: string;
  debug: boolean;
}

export function withSweepOptions<T>(parser: Argv<T>) {
  return parser.options({
    policy: { type: 'string', demandOption: true, coerce: last, describe: 'The signer policy every running image must pass (docs/policy.md)' },
    'trusted-root': { type: 'string', coerce: last, describe: "Sigstore trusted root (default: the policy's trustedRoot)" },
    namespace: { alias: 'n', type: 'string', coerce: last, describe: "The namespace to sweep (default: the context's)" },
    'all-namespaces': { alias: 'A', type: 'boolean', default: false, describe: 'Sweep every namespace (kube-system is listed, never evicted)' },
    selector: { alias: 'l', type: 'string', coerce: last, describe: "Only Pods with these labels (kubectl's label selector: app=web,tier!=db)" },
    evict: { type: 'boolean', default: false, describe: 'Evict Pods whose images fail the policy, through the Eviction API (PodDisruptionBudgets hold)' },
    'dry-run': { type: 'string', choices: ['client', 'server', 'none'] as const, default: 'client', coerce: last, describe: 'With --evict: client (say what would be evicted), server (the API checks each eviction, nothing changes) or none (evict)' },
    output: { alias: 'o', type: 'string', choices: ['table', 'json'] as const, default: 'table', coerce: last, describe: 'table, or json (kind SweepReport)' },
    concurrency: { type: 'number', default: 8, coerce: last, describe: 'Images verified at once' },
    'allow-http-registry': { type: 'boolean', default: false, describe: "Reach the images' registries over plain HTTP (loopback ones always are)" },
    'registry-timeout': registryTimeoutOption('', 'no answer leaves that image undecided (exit 2), never evicted'),
    'kms-timeout': kmsTimeoutOption('no answer ends the sweep before any image is judged (exit 2), nothing evicted'),
    kubeconfig: { type: 'string', describe: 'Path to the kubeconfig file (default: $KUBECONFIG, then ~/.kube/config)' },
    context: { type: 'string', describe: 'The kubeconfig context to use' },
    ...REQUEST_TIMEOUT_OPTION,
    'print-cronjob': { type: 'boolean', default: false, describe: "Print, instead of sweeping, a CronJob that runs this same sweep in the cluster, with its ConfigMap and least-privilege RBAC (apply with kubectl apply -f -)" },
    image: { type: 'string', coerce: last, describe: "With --print-cronjob: the CLI's image (built from this repository)" },
    schedule: { type: 'string', default: '*/15 * * * *', coerce: last, describe: "With --print-cronjob: the CronJob's schedule" },
  });
}
