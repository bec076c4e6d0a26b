// The sweep inside the cluster: the image of kubectl-trust itself (the release's single executable,
// deploy/trust-image/Dockerfile) built by `kubectl build` from this repository and loaded into the
// node, the CronJob `kubectl trust sweep --print-cronjob` prints applied as it is, and a Job run from
// it: with its own service account and nothing else, it evicts the Pod whose image fails the policy
// and leaves the signed ones.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { skopeo, skopeoRegistryFlags } from '../hack/lib/skopeo.ts';
import { trustImageContext } from '../hack/trust-image.ts';
import { runCli } from './harness/cli.ts';
import { useCluster, useClusterRegistry, writeBuildkitdConfig } from './harness/cluster.ts';
import { cosign, generateKeyPair } from './harness/cosign.ts';
import { scratchDir } from './harness/index.ts';

const run = promisify(execFile);
const cluster = useCluster();
const registry = useClusterRegistry();
const IMAGE = `localhost/kubectl-build-test/kubectl-trust:${Date.now().toString(36)}`;

async function copyBase(repository: string): Promise<string> {
  const digestFile = join(scratchDir('digest'), 'digest');
  const flags = (side: 'src' | 'dest') => skopeoRegistryFlags(registry().registry, registry().files, side);
  await skopeo(['copy', '--quiet', ...flags('src'), ...flags('dest'), '--digestfile', digestFile, `docker://${registry().baseImage}`, `docker://${registry().host}/${repository}:1`]);
  return `${registry().host}/${repository}@${readFileSync(digestFile, 'utf8').trim()}`;
}

describe('kubectl trust sweep as a CronJob, from the image kubectl build makes of the CLI', () => {
  it('runs in the cluster with the printed RBAC and evicts what fails', async () => {
    const executable = resolve('dist/release/linux-amd64/kubectl-build');
    expect(existsSync(executable), 'run make release first').toBe(true);
    const { namespace } = cluster();
    const env = cluster().env({ DOCKER_CONFIG: registry().files.dockerConfigDir });

    // The CLI's image, built in the cluster from this repository and loaded into every node (one
    // builder pod per node, a build on each), wherever the Job's Pod lands, as the README says to.
    const created = await runCli('kubectl-buildkit', ['create', 'imager', '--per-node', '--config', writeBuildkitdConfig(registry(), scratchDir('config')), '-n', namespace], { env });
    expect(created.status, created.stderr).toBe(0);
    const context = trustImageContext(join(scratchDir('image'), 'context'), executable);
    const nodes = (await cluster().kubectl(['get', 'nodes', '-o', 'jsonpath={.items[*].metadata.name}'])).trim().split(/\s+/);
    for (const node of nodes) {
      const built = await runCli('kubectl-build', ['--progress=plain', '-n', namespace, '--builder', 'imager', '--node', node, '-t', IMAGE, context], { env });
      expect(built.status, built.stderr.slice(-1500)).toBe(0);
      expect(built.stderr).toContain("loaded into the container runtime of the builder's node");
    }

    try {
      const keys = await generateKeyPair({ dir: scratchDir('keys'), dockerConfigDir: registry().files.dockerConfigDir }, 'cron');
      const signed = await copyBase('cron/signed');
      await copyBase('cron/unsigned');
      await cosign('cosign-v3', { dir: scratchDir('cosign'), dockerConfigDir: registry().files.dockerConfigDir }, [
        'sign', '--yes', '--key', keys.privateKey, '--tlog-upload=false', '--use-signing-config=false', '--new-bundle-format=false', '--allow-http-registry', signed,
      ], keys.password);
      for (const [name, image] of [['signed', signed], ['unsigned', `${registry().host}/cron/unsigned:1`]] as const) {
        await cluster().kubectl(['run', name, `--image=${image}`, '--restart=Never', '--command', '--', 'sleep', '3600']);
      }
      await cluster().kubectl(['wait', 'pod/signed', 'pod/unsigned', '--for=condition=Ready', '--timeout=90s']);
      const policy = join(scratchDir('policy'), 'policy.yaml');
      writeFileSync(policy, `apiVersion: kubectl-build.dev/v1alpha1
kind: SignerPolicy
signers: [{ name: release, key: ${keys.publicKey} }]
rules:
  - images: ["${registry().host}/cron/**"]
    require: { all: [release] }
    transparencyLog: optional
`);
      const printed = await runCli('kubectl-trust', ['sweep', '-n', namespace, '--policy', policy, '--evict', '--dry-run=none', '--allow-http-registry', '--print-cronjob', '--image', IMAGE], { env });
      expect(printed.status, printed.stderr).toBe(0);
      await cluster().kubectl(['apply', '-f', '-'], printed.stdout);
      await cluster().kubectl(['create', 'job', 'sweep-now', '--from=cronjob/kubectl-trust-sweep']);
      // Something failed the policy: the sweep exits 1, so the Job fails (and says why in its log).
      await cluster().kubectl(['wait', 'job/sweep-now', '--for=condition=Failed', '--timeout=180s']);
      const log = await cluster().kubectl(['logs', 'job/sweep-now']);
      expect(log).toContain(`${namespace}/unsigned: evicted`);
      expect(log).toMatch(/signed\s+signed\s+\S+\s+pass/);
      const pods = JSON.parse(await cluster().kubectl(['get', 'pods', '-o', 'json'])) as { items: Array<{ metadata: { name: string; deletionTimestamp?: string } }> };
      const running = pods.items.filter((pod) => !pod.metadata.deletionTimestamp).map((pod) => pod.metadata.name);
      expect(running).toContain('signed');
      expect(running).not.toContain('unsigned');
      // The Job's own account recorded the eviction: one Event, from the sweep, on the Pod it evicted.
      const events = JSON.parse(await cluster().kubectl(['get', 'events', '--field-selector', 'involvedObject.name=unsigned,reason=SignaturePolicyFailed', '-o', 'json'])) as { items: Array<{ source: { component: string } }> };
      expect(events.items.map((event) => event.source.component)).toEqual(['kubectl-trust-sweep']);
    } finally {
      // Images loaded into the node stay across runs of the local cluster: remove this one.
      for (const { containerdSocket } of cluster().localNodes) {
        await run('ctr', ['--address', containerdSocket, '-n', 'k8s.io', 'images', 'rm', IMAGE]).catch(() => {});
      }
    }
  });
});
