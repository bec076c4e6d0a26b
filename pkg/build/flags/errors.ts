// One sentence for every refused flag value: which flag, which value, what is wrong, and the form
// that works (the hint). Each parser here throws these, before anything is built.
import { KubectlBuildError } from '../../errors/index.ts';

export function flagError(flag: string, value: string, problem: string, hint: string): KubectlBuildError {
  return new KubectlBuildError('USAGE', `invalid --${flag} "${value}": ${problem}`, { hint });
}
