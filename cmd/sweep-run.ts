// `kubectl trust sweep`'s work: list the containers that run (one namespace or all), verify each
// image digest once against the policy, print namespace / pod / container / image / verdict, and
// with --evict evict the Pods whose images fail (a dry run unless --dry-run=none). Exit codes as
// kubectl trust verify's, over every container listed.
import { evictions, runningReference, sweepContainers, type Eviction, type SweptContainer } from '../pkg/enforce/sweep.ts';
import { evictPod, listRunningContainers } from '../pkg/kube/running-pods.ts';
import { stringify } from 'yaml';
import { SWEEP_TRUSTED_ROOT_PATH, sweepJobManifests } from '../pkg/enforce/sweep-manifests.ts';
import { errorMessage, KubectlBuildError } from '../pkg/errors/index.ts';
import { loadPolicy, type Policy } from '../pkg/policy/index.ts';
import { policyDocument } from '../pkg/policy/serialize.ts';
import { parseReference } from '../pkg/registry/reference.ts';
import { imageJson, columns, REPORT_API_VERSION } from '../pkg/verify/report.ts';
import { ROW_OUTCOME_WORD } from '../pkg/verify/repository-report.ts';
import { kubeConnection } from './cluster-builders.ts';
import { DEFAULT_KMS_TIMEOUT, kmsTimeoutMs } from './options/kms.ts';
import { DEFAULT_REGISTRY_TIMEOUT, registryTimeoutMs } from './options/registry.ts';
import type { SweepArgv } from './options/sweep.ts';
import { exitWithVerdicts, loadKeys, readFileOrFail, verifyContext } from './trust-inputs.ts';

interface Action {
  readonly eviction: Eviction;
  readonly outcome: string;
}

export async function sweepCommand(argv: SweepArgv, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const connection = kubeConnection({ kubeconfig: argv.kubeconfig, context: argv.context, namespace: argv.namespace, builder: '', 'request-timeout': argv['request-timeout'] }, env);
  const policy = await loadPolicy(argv.policy);
  if (argv['print-cronjob']) return printCronJob(argv, policy, connection.namespace, env);
  const containers = await listRunningContainers(connection, argv['all-namespaces'] ? undefined : connection.namespace, argv.selector);
  // The registries of what runs: where the kubelet pulled it from, and where the Pod's image names it.
  const registries = [...new Set(containers.flatMap((container) => [runningReference(container)?.registry, registryOf(container.image)]).filter((registry): registry is string => registry !== undefined))];
  const context = await verifyContext(policy, { kube: argv, trustedRoot: argv['trusted-root'], allowHttp: argv['allow-http-registry'] ? registries : [], registryTimeoutMs: registryTimeoutMs(argv), kmsTimeoutMs: kmsTimeoutMs(argv) }, env);
  const { rows, images } = await sweepContainers(context, containers, argv.concurrency);

  const actions: Action[] = [];
  if (argv.evict) {
    for (const eviction of evictions(rows)) {
      if (eviction.skipped) actions.push({ eviction, outcome: `not evicted: ${eviction.skipped}` });
      else if (argv['dry-run'] === 'client') actions.push({ eviction, outcome: 'would be evicted (--dry-run=client; --dry-run=none evicts)' });
      else {
        const outcome = await evictPod(connection, eviction, `kubectl trust sweep: ${eviction.reason}`, argv['dry-run'] === 'server').catch((error: unknown) => `not evicted: ${errorMessage(error)}`);
        actions.push({ eviction, outcome: argv['dry-run'] === 'server' && outcome === 'evicted' ? 'would be evicted (the API accepted it: --dry-run=server)' : outcome });
      }
    }
  }
  process.stdout.write(argv.output === 'json' ? sweepJson(rows, actions, images) : sweepTable(rows, actions));
  exitWithVerdicts(rows.map((row) => row.verdict));
}

function registryOf(image: string): string | undefined {
  try {
    return parseReference(image).registry;
  } catch {
    return undefined;
  }
}

/** The CronJob that runs this sweep in the cluster: the policy with its keys inlined, RBAC for what it does. */
async function printCronJob(argv: SweepArgv, policy: Policy, namespace: string, env: NodeJS.ProcessEnv): Promise<void> {
  if (!argv.image) throw new KubectlBuildError('USAGE', '--print-cronjob needs --image, the image of kubectl-trust to run', { hint: 'build it from this repository (see docs/enforce.md) and pass its name' });
  const keys = await loadKeys(argv, policy, env, kmsTimeoutMs(argv));
  const rootPath = argv['trusted-root'] ?? policy.trustedRoot;
  const trustedRoot = rootPath ? await readFileOrFail(rootPath, 'the trusted root') : undefined;
  const args = [
    ...(argv['all-namespaces'] ? ['--all-namespaces'] : ['--namespace', namespace]),
    ...(argv.selector ? ['--selector', argv.selector] : []),
    ...(argv.evict ? ['--evict', `--dry-run=${argv['dry-run']}`] : []),
    ...(argv['allow-http-registry'] ? ['--allow-http-registry'] : []),
    ...(argv['registry-timeout'] === DEFAULT_REGISTRY_TIMEOUT ? [] : ['--registry-timeout', argv['registry-timeout']]),
    ...(argv['kms-timeout'] === DEFAULT_KMS_TIMEOUT ? [] : ['--kms-timeout', argv['kms-timeout']]),
  ];
  const objects = sweepJobManifests({
    namespace,
    image: argv.image,
    schedule: argv.schedule,
    policy: policyDocument(policy, new Map(keys.map((key) => [key.name, key.publicKeyPem])), trustedRoot ? SWEEP_TRUSTED_ROOT_PATH : undefined),
    ...(trustedRoot ? { trustedRoot } : {}),
    args,
    evicts: argv.evict && argv['dry-run'] !== 'client',
    ...(argv['all-namespaces'] ? {} : { sweptNamespace: namespace }),
  });
  process.stdout.write(objects.map((object) => stringify(object, { lineWidth: 0, aliasDuplicateObjects: false })).join('---\n'));
}

function sweepTable(rows: readonly SweptContainer[], actions: readonly Action[]): string {
  if (rows.length === 0) return 'no running containers\n';
  const table = columns([
    ['NAMESPACE', 'POD', 'CONTAINER', 'IMAGE', 'VERDICT', 'WHY'],
    ...rows.map((row) => [
      row.container.namespace,
      row.container.pod,
      row.container.container,
      row.reference ?? row.container.imageId,
      ROW_OUTCOME_WORD[row.verdict.outcome],
      row.error ?? row.verdict.missing.join('; '),
    ]),
  ]);
  const evicted = actions.map((action) => `${action.eviction.namespace}/${action.eviction.pod}: ${action.outcome}`);
  const digests = new Set(rows.map((row) => row.reference ?? row.container.imageId)).size;
  const counts = (['pass', 'fail', 'undecided'] as const).map((outcome) => `${rows.filter((row) => row.verdict.outcome === outcome).length} ${outcome}`).join(', ');
  return `${[...table, '', `${rows.length} containers, ${digests} images (each verified once): ${counts}`, ...evicted].join('\n')}\n`;
}

function sweepJson(rows: readonly SweptContainer[], actions: readonly Action[], images: readonly Parameters<typeof imageJson>[0][]): string {
  const actionOf = new Map(actions.map((action) => [`${action.eviction.namespace}/${action.eviction.pod}`, action.outcome]));
  return `${JSON.stringify(
    {
      apiVersion: REPORT_API_VERSION,
      kind: 'SweepReport',
      containers: rows.map((row) => ({
        namespace: row.container.namespace,
        pod: row.container.pod,
        container: row.container.container,
        image: row.container.image,
        imageID: row.container.imageId,
        ...(row.reference ? { verified: row.reference } : {}),
        verdict: row.verdict,
        ...(row.error ? { error: row.error } : {}),
        ...(actionOf.has(`${row.container.namespace}/${row.container.pod}`) && row.verdict.outcome === 'fail' ? { action: actionOf.get(`${row.container.namespace}/${row.container.pod}`) } : {}),
      })),
      images: images.map(imageJson),
    },
    null,
    2,
  )}\n`;
}
