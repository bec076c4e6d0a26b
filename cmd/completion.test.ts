import type { Argv } from 'yargs';
import { describe, expect, it } from 'vitest';
import { complete, completionModel } from './completion.ts';
import { withBuilderAddressOptions, withBuildOptions } from './options/build.ts';
import { withKubeOptions } from './options/kube.ts';

const build = completionModel((parser: Argv) => withBuilderAddressOptions(withKubeOptions(withBuildOptions(parser))) as Argv);
const buildkit = completionModel((parser) => parser, {
  create: completionModel((parser) => withKubeOptions(parser) as Argv),
  ls: completionModel((parser) => withKubeOptions(parser) as Argv),
});

describe('complete', () => {
  it('offers the flags that start with what was typed', () => {
    expect(complete(build, ['--pl'])).toEqual(['--platform']);
    expect(complete(build, ['--no-'])).toEqual(['--no-cache']);
    expect(complete(build, ['--kube'])).toEqual(['--kubeconfig']);
  });

  it('offers a flag\'s choices for its value, and nothing for free-form values (the shell completes files)', () => {
    expect(complete(build, ['--progress', ''])).toEqual(['auto', 'tty', 'plain', 'quiet', 'rawjson']);
    expect(complete(build, ['--progress', 'p'])).toEqual(['plain']);
    expect(complete(build, ['-t', 'x', '--file', ''])).toEqual([]);
  });

  it('offers subcommands, then the flags of the chosen one', () => {
    expect(complete(buildkit, ['c'])).toEqual(['create']);
    expect(complete(buildkit, ['create', '--na'])).toEqual(['--namespace']);
  });
});
