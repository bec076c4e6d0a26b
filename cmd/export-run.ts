// `kubectl trust export`'s work: load the policy and the keys it names, compile it for the engine,
// print the objects (YAML documents for `kubectl apply -f -`, or a JSON List) or, with --apply, put
// them into the cluster once its engine is found there; on stderr, where the engine is stricter than
// the policy.
import { stringify } from 'yaml';
import { TARGET_APIS, TARGET_ENGINES } from '../pkg/enforce/export.ts';
import { exportPolicy, readTrustMaterial } from '../pkg/enforce/index.ts';
import { loadPolicy } from '../pkg/policy/index.ts';
import type { ExportArgv } from './options/export.ts';
import { kmsTimeoutMs } from './options/kms.ts';
import { loadKeys, readTrustedRoot } from './trust-inputs.ts';

export async function exportCommand(argv: ExportArgv, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const policy = await loadPolicy(argv.policy);
  const keys = await loadKeys(argv, policy, env, kmsTimeoutMs(argv));
  const rootPath = argv['trusted-root'] ?? policy.trustedRoot;
  const trustedRoot = await readTrustedRoot(rootPath);
  const { objects, warnings } = exportPolicy(argv.to, {
    policy,
    keys: new Map(keys.map((key) => [key.name, key.publicKeyPem])),
    ...(trustedRoot !== undefined && rootPath ? { trust: readTrustMaterial(trustedRoot, rootPath) } : {}),
    name: argv.name ?? policy.name ?? 'kubectl-build',
  });
  for (const warning of warnings) process.stderr.write(`warning: ${warning}\n`);
  if (argv.apply) return apply(argv, objects, env);
  process.stdout.write(
    argv.output === 'json'
      ? `${JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }, null, 2)}\n`
      : objects.map((object) => stringify(object, { lineWidth: 0, aliasDuplicateObjects: false })).join("---\n"),
  );
}

/** The engine checked (installed, at the version these objects are), then each object applied. */
async function apply(argv: ExportArgv, objects: readonly Record<string, unknown>[], env: NodeJS.ProcessEnv): Promise<void> {
  const [{ applyObjects, requireEngine }, { kubeConnection }] = await Promise.all([import('../pkg/kube/apply.ts'), import('./cluster-builders.ts')]);
  const connection = kubeConnection({ kubeconfig: argv.kubeconfig, context: argv.context, namespace: argv.namespace, builder: '', 'request-timeout': argv['request-timeout'] }, env);
  const kinds = new Set(objects.map((object) => object.kind));
  const { engine, install } = TARGET_ENGINES[argv.to];
  await requireEngine(connection, TARGET_APIS[argv.to].filter((api) => kinds.has(api.kind)).map((api) => ({ ...api, engine, install })));
  for (const name of await applyObjects(connection, objects)) process.stdout.write(`${name} serverside-applied\n`);
}
