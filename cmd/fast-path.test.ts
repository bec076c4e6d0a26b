import { describe, expect, it } from 'vitest';
import { fastAnswer, invocationFor } from './fast-path.ts';
import { NAMES_MARK, type PluginFacts } from './startup-facts.ts';

const facts: PluginFacts = {
  help: { '--help': { plain: 'usage (pipe)\n', wide: 'usage (wide)\n' }, 'create --help': { plain: 'create\n', wide: 'create wide\n' } },
  knownFlags: ['help', 'h', 'debug', 'tag', 't'],
  unknownFlag: { one: `error: Unknown argument: ${NAMES_MARK}\n`, many: `error: Unknown arguments: ${NAMES_MARK}\n`, exitCode: 2 },
};

describe('invocationFor', () => {
  it('reads the plugin from the name the program runs as, a completion helper too', () => {
    expect(invocationFor('/usr/local/bin/kubectl-build')).toEqual({ plugin: 'build', completion: false });
    expect(invocationFor('/home/u/.krew/bin/kubectl-buildkit')).toEqual({ plugin: 'buildkit', completion: false });
    expect(invocationFor('kubectl_complete-trust')).toEqual({ plugin: 'trust', completion: true });
    expect(invocationFor('/checkout/dist/kubectl-trust.js')).toEqual({ plugin: 'trust', completion: false });
    for (const name of ['kubectl-builder', 'kubectl.js', 'build', 'kubectl-build-verify', '']) expect(invocationFor(`/bin/${name}`)).toBeUndefined();
  });
});

describe('fastAnswer', () => {
  it('prints the help rendered for a pipe, for a wide terminal, and leaves a narrow one to yargs', () => {
    expect(fastAnswer(facts, ['--help'], undefined)).toEqual({ stdout: 'usage (pipe)\n', stderr: '', exitCode: 0 });
    expect(fastAnswer(facts, ['create', '--help'], 200)).toEqual({ stdout: 'create wide\n', stderr: '', exitCode: 0 });
    expect(fastAnswer(facts, ['--help'], 80)).toBeUndefined();
  });

  it('names unknown long flags once each, in order; anything else goes to yargs', () => {
    expect(fastAnswer(facts, ['--nope'], undefined)?.stderr).toBe('error: Unknown argument: nope\n');
    expect(fastAnswer(facts, ['--nope', '--other=1', '--nope'], undefined)).toEqual({ stdout: '', stderr: 'error: Unknown arguments: nope, other\n', exitCode: 2 });
    for (const args of [[], ['--nope', '--tag'], ['--nope', 'path'], ['-Z'], ['--Nope'], ['--123'], ['--get-yargs-completions', 'x'], ['--help', '--nope']]) {
      expect(fastAnswer(facts, args, undefined), JSON.stringify(args)).toBeUndefined();
    }
  });
});
