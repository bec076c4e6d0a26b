// The `kubectl buildkit` command (loaded by cmd/kubectl-buildkit.ts): manage the BuildKit builders (Deployments of buildkitd) in the cluster.
import { hideBin } from 'yargs/helpers';
import { withKubeOptions } from './options/kube.ts';
import { withBuilderAddressOptions } from './options/build.ts';
import type { VersionArgv } from './buildkit-version.ts';
import type { CreateArgv, KubeArgv } from './cluster-builders.ts';
import { withCreateOptions } from './options/builder.ts';
import { runCli } from './run-cli.ts';
import { completionModel } from './completion.ts';
import type { Argv } from 'yargs';

process.exitCode = await runCli(
  {
    scriptName: 'kubectl buildkit',
    completion: () => {
      const kube = completionModel((parser) => withKubeOptions(parser) as Argv);
      const create = completionModel((parser) => withCreateOptions(withKubeOptions(parser)) as Argv);
      const version = completionModel((parser) => withBuilderAddressOptions(withKubeOptions(parser)) as Argv);
      return completionModel((parser) => parser, { create, ls: kube, rm: kube, version });
    },
    configure: (parser) =>
      parser
        .usage('$0 <command> [options]\n\nManage BuildKit builders running in your Kubernetes cluster.')
        // The cluster code (and the Kubernetes client) loads only when a command runs.
        .command('create [name]', 'Create a builder (a Deployment of buildkitd) and wait until it is ready', (command) => withCreateOptions(withKubeOptions(command)), async (argv) =>
          (await import('./cluster-builders.ts')).createCommand(argv as unknown as CreateArgv),
        )
        .command('ls', 'List builders with their status, pods, nodes and platforms', withKubeOptions, async (argv) =>
          (await import('./cluster-builders.ts')).listCommand(argv as unknown as KubeArgv),
        )
        .command('rm [name]', 'Remove a builder and everything create made for it', (command) => withKubeOptions(command).positional('name', { type: 'string', describe: 'Name of the builder (default: --builder)' }), async (argv) =>
          (await import('./cluster-builders.ts')).removeCommand(argv as unknown as KubeArgv & { name?: string }),
        )
        .command(
          'version',
          "Print the builder daemon's version and its workers' platforms",
          (command) => withBuilderAddressOptions(withKubeOptions(command)),
          async (argv) => (await import('./buildkit-version.ts')).versionCommand(argv as VersionArgv),
        ),
  },
  hideBin(process.argv),
);
