// The `kubectl buildkit` command (loaded by cmd/kubectl-buildkit.ts): manage the BuildKit builders (Deployments of buildkitd) in the cluster.
import { hideBin } from 'yargs/helpers';
import { notImplementedYet } from './not-yet.ts';
import { withKubeOptions } from './options/kube.ts';
import { withBuilderAddressOptions } from './options/build.ts';
import type { VersionArgv } from './buildkit-version.ts';
import { runCli } from './run-cli.ts';
import { completionModel } from './completion.ts';
import type { Argv } from 'yargs';

process.exitCode = await runCli(
  {
    scriptName: 'kubectl buildkit',
    completion: () => {
      const kube = completionModel((parser) => withKubeOptions(parser) as Argv);
      const version = completionModel((parser) => withBuilderAddressOptions(withKubeOptions(parser)) as Argv);
      return completionModel((parser) => parser, { create: kube, ls: kube, rm: kube, version });
    },
    configure: (parser) =>
      parser
        .usage('$0 <command> [options]\n\nManage BuildKit builders running in your Kubernetes cluster.')
        .command('create [name]', 'Create a builder (a Deployment of buildkitd) and wait until it is ready', withKubeOptions, () =>
          notImplementedYet('kubectl buildkit create'),
        )
        .command('ls', 'List builders with their status, pods, nodes and platforms', withKubeOptions, () =>
          notImplementedYet('kubectl buildkit ls'),
        )
        .command('rm [name]', 'Remove a builder and everything create made for it', withKubeOptions, () =>
          notImplementedYet('kubectl buildkit rm'),
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
