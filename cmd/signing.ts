// What --sign needs, checked and loaded before anything is built: --push, a supported format, the
// key (and its password). Reads the environment: only cmd/ may.
import { parseKeyValues } from '../pkg/build/options.ts';
import { KubectlBuildError } from '../pkg/errors/index.ts';
import { loadSigner, type Signer } from '../pkg/sign/index.ts';
import type { BuildArgv } from './build-run.ts';
import { cosignPassword } from './password.ts';

export interface Signing {
  readonly signer: Signer;
  readonly annotations: Record<string, string>;
  readonly loadMs: number;
}

/** `pushes`: whether the build pushes an image at all (pushesImage from the plan). */
export async function prepareSigning(argv: BuildArgv, env: NodeJS.ProcessEnv, pushes: boolean): Promise<Signing> {
  if (!pushes) {
    throw new KubectlBuildError('USAGE', '--sign needs --push: only a pushed image has a digest to sign', { hint: 'add --push and -t REGISTRY/IMAGE:TAG' });
  }
  if (argv['tlog-upload']) {
    throw new KubectlBuildError('NOT_IMPLEMENTED', 'uploading signatures to a transparency log is not implemented in this version of kubectl-build', {
      hint: 'leave out --tlog-upload (cosign verify then needs --insecure-ignore-tlog=true)',
    });
  }
  if (argv['signature-format'] === 'bundle' && argv['sign-annotation'].length > 0) {
    throw new KubectlBuildError('USAGE', '-a annotations go into legacy signatures only', { hint: 'use --signature-format legacy or both' });
  }
  const uri = argv['cosign-key'] ?? env.COSIGN_KEY;
  if (!uri) {
    throw new KubectlBuildError('NOT_IMPLEMENTED', 'keyless signing is not implemented in this version of kubectl-build', {
      hint: 'sign with a key: --cosign-key cosign.key (or COSIGN_KEY)',
    });
  }
  const started = Date.now();
  const signer = await loadSigner(uri, { password: () => cosignPassword(env), env: (name) => env[name] });
  return { signer, annotations: parseKeyValues('sign-annotation', argv['sign-annotation']), loadMs: Date.now() - started };
}
