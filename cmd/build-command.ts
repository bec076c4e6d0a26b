// The `kubectl build` command (loaded by cmd/kubectl-build.ts): build a container image with BuildKit in the cluster (or at --builder-addr),
// push it, and sign what was pushed.
import { hideBin } from 'yargs/helpers';
import type { BuildArgv } from './build-run.ts';
import { withBuilderAddressOptions, withBuildOptions } from './options/build.ts';
import { withBuilderNodeOption, withKubeOptions, withRegistrySecretOption } from './options/kube.ts';
import { withSignOptions } from './options/sign.ts';
import { ExitCode } from './exit-codes.ts';
import { runCli } from './run-cli.ts';
import { completionModel } from './completion.ts';
import { protectLoneDashes, restoreLoneDashes } from './lone-dash.ts';
import type { Argv } from 'yargs';

const exitCode = await runCli(
  {
    scriptName: 'kubectl build',
    completion: () => completionModel((parser) => withSignOptions(withBuilderAddressOptions(withBuilderNodeOption(withRegistrySecretOption(withKubeOptions(withBuildOptions(parser)))))) as Argv),
    configure: (parser) =>
      parser
        .middleware(restoreLoneDashes, true)
        .usage('$0 [options] PATH | -\n\nBuild an image with BuildKit running in your Kubernetes cluster.')
        .command(
          '$0 [path]',
          false,
          (command) => withSignOptions(withBuilderAddressOptions(withBuilderNodeOption(withRegistrySecretOption(withKubeOptions(withBuildOptions(command)))))),
          // The build's code (and gRPC) loads only here, so that --help stays fast.
          async (argv) => (await import('./build-run.ts')).buildCommand(argv as unknown as BuildArgv),
        )
        .example('$0 -t registry.example.com/app:1 --push .', 'Build the current directory and push it')
        .example('$0 -f build/Dockerfile --build-arg VERSION=1.2 -t app:dev .', 'Build with another Dockerfile and a build argument'),
  },
  protectLoneDashes(hideBin(process.argv)),
);
// A stopped build ends now: a registry request it gave up on (its outcome already said) must not
// hold the process until the request's own timeout.
if (exitCode === ExitCode.CANCELLED || exitCode === ExitCode.TERMINATED) process.exit(exitCode);
process.exitCode = exitCode;
