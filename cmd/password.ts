// The password of an encrypted cosign key, as cosign gets it: COSIGN_PASSWORD when set (even
// empty), else a prompt on the terminal that does not echo; never a prompt without a terminal.
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { KubectlBuildError } from '../pkg/errors/index.ts';

export async function cosignPassword(env: NodeJS.ProcessEnv): Promise<string> {
  if (env.COSIGN_PASSWORD !== undefined) return env.COSIGN_PASSWORD;
  if (!process.stdin.isTTY || !process.stderr.isTTY) {
    throw new KubectlBuildError('USAGE', 'the cosign key is encrypted and COSIGN_PASSWORD is not set', {
      hint: 'set COSIGN_PASSWORD, or run on a terminal to be asked for it',
    });
  }
  process.stderr.write('Enter password for private key: ');
  let muted = true;
  const output = new Writable({
    write: (chunk, _encoding, callback) => {
      if (!muted) process.stderr.write(chunk);
      callback();
    },
  });
  const prompt = createInterface({ input: process.stdin, output, terminal: true });
  try {
    return await new Promise<string>((resolve) => prompt.question('', resolve));
  } finally {
    muted = false;
    prompt.close();
    process.stderr.write('\n');
  }
}
