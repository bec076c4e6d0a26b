// One build run on several daemons at once (kubectl build --all-nodes: the builder's pod on each
// node, each loading the image into its own node). Unlike a multi-platform build, one daemon failing
// does not cancel the others: each node that got the image keeps it, and the caller is told exactly
// which nodes have it and why the others do not.
import type { BuilderAddress } from '../buildkit/address.ts';
import { toKubectlBuildError, type KubectlBuildError } from '../errors/index.ts';
import { TtyGroup } from '../progress/index.ts';
import { runBuild, type BuildResult, type RunBuildOptions } from './run.ts';

export interface NodeTarget {
  /** What the progress lines and the outcome are labelled with ("node N"). */
  readonly label: string;
  readonly builder: BuilderAddress;
  readonly builderFailure?: Promise<never>;
  /** After a failure: a clearer error when the daemon's pod went away. */
  readonly explain?: (error: unknown) => Promise<KubectlBuildError | undefined>;
}

export type NodeOutcome =
  | { readonly label: string; readonly result: BuildResult }
  | { readonly label: string; readonly error: KubectlBuildError };

/** Runs the build on every target in parallel; resolves with each one's outcome, in the targets' order. */
export async function runOnEveryNode(options: Omit<RunBuildOptions, 'builder' | 'builderFailure'>, targets: readonly NodeTarget[]): Promise<NodeOutcome[]> {
  // One view for all: on a terminal a live task per node, else each line labelled with its node.
  const group = options.progress === 'tty' ? new TtyGroup(options.progressOutput, targets.map((target) => target.label)) : undefined;
  try {
    return await Promise.all(
      targets.map(async (target, index): Promise<NodeOutcome> => {
        try {
          const result = await runBuild({
            ...options,
            builder: target.builder,
            ...(target.builderFailure ? { builderFailure: target.builderFailure } : {}),
            ...(group ? { progressWriter: group.writer(index) } : {}),
            progressOutput: { write: (text: string) => options.progressOutput.write(text.replace(/^(?=.)/gm, `[${target.label}] `)) },
          });
          return { label: target.label, result };
        } catch (error) {
          return { label: target.label, error: (await target.explain?.(error)) ?? toKubectlBuildError(error) };
        }
      }),
    );
  } finally {
    group?.close();
  }
}
