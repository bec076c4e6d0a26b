// The `kubectl trust` command (loaded by cmd/kubectl-trust.ts): the consuming half of the trust
// chain. `verify` answers "may this digest run here?" for an image, or for every tag of a repository;
// `export` compiles the same policy for the admission engine that enforces it in a cluster; `sweep`
// judges what already runs there, and evicts what fails.
// It is a plugin of its own, not `kubectl build verify`: kubectl's plugin lookup would run a
// kubectl-build-verify for `kubectl build verify`, and a build context folder named "verify" must
// still build.
import { hideBin } from 'yargs/helpers';
import type { Argv } from 'yargs';
import { completionModel } from './completion.ts';
import { ExitCode, verifyExitCodeFor } from './exit-codes.ts';
import { withExportOptions, type ExportArgv } from './options/export.ts';
import { withSweepOptions, type SweepArgv } from './options/sweep.ts';
import { withVerifyOptions, type VerifyArgv } from './options/verify.ts';
import { runCli } from './run-cli.ts';

// Ctrl-C ends the command with 130 (cancelled) and SIGTERM with 143, as kubectl build does, instead
// of dying by the signal, which a parent that is not a shell sees as no exit code at all. verify and
// export only read; a sweep stops between two Pods (an eviction already made stays, possibly
// without its Event).
process.once('SIGINT', () => {
  process.stderr.write('\ncancelled\n');
  process.exit(ExitCode.CANCELLED);
});
process.once('SIGTERM', () => {
  process.stderr.write('\nstopped on SIGTERM\n');
  process.exit(ExitCode.TERMINATED);
});

process.exitCode = await runCli(
  {
    scriptName: 'kubectl trust',
    exitCodeFor: verifyExitCodeFor,
    completion: () =>
      completionModel((parser) => parser, {
        verify: completionModel((parser) => withVerifyOptions(parser) as Argv),
        export: completionModel((parser) => withExportOptions(parser) as Argv),
        sweep: completionModel((parser) => withSweepOptions(parser) as Argv),
      }),
    configure: (parser) =>
      parser
        .usage('$0 <command> [options]\n\nVerify who signed images, against a signer policy.')
        .command(
          'verify [image]',
          'Verify the signatures of an image (or of every tag of --repository) against keys, identities or a policy',
          (command) =>
            withVerifyOptions(command)
              .example('$0 verify --key cosign.pub --trusted-root trusted_root.json reg.example.com/app:1', 'Any one valid signature by this key, logged in Rekor')
              .example('$0 verify --policy release.yaml reg.example.com/app@sha256:...', 'Every signer the policy requires (exit 0 pass, 1 fail, 2 undecided)')
              .example('$0 verify --policy release.yaml --repository reg.example.com/app --failing', 'Every tag of the repository that does not pass'),
          // The registry, Sigstore and policy code loads only here, so that --help stays fast.
          async (argv) => (await import('./verify-run.ts')).verifyCommand(argv as unknown as VerifyArgv),
        )
        .command(
          'export',
          'Compile a signer policy into the objects of an admission engine (policy-controller, Kyverno, OpenShift)',
          (command) =>
            withExportOptions(command)
              .example('$0 export --policy release.yaml --to policy-controller | kubectl apply -f -', 'ClusterImagePolicies (one per required signer) and a TrustRoot')
              .example('$0 export --policy release.yaml --to kyverno', 'A Kyverno ClusterPolicy with verifyImages rules'),
          async (argv) => (await import('./export-run.ts')).exportCommand(argv as unknown as ExportArgv),
        )
        .command(
          'sweep',
          'Verify the image digest every running container runs; with --evict, evict the Pods whose images fail the policy',
          (command) =>
            withSweepOptions(command)
              .example('$0 sweep -A --policy release.yaml', 'Every running container of the cluster and its verdict (exit 0 pass, 1 fail, 2 undecided)')
              .example('$0 sweep -n apps --policy release.yaml --evict --dry-run=none', 'Evict the Pods of namespace apps whose images fail the policy'),
          async (argv) => (await import('./sweep-run.ts')).sweepCommand(argv as unknown as SweepArgv),
        ),
  },
  hideBin(process.argv),
);
