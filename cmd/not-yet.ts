import { KubectlBuildError } from '../pkg/errors/index.ts';

// Commands whose flags are settled but whose work has not landed yet say so plainly, instead of
// pretending to work. Each is removed as its feature lands.
export function notImplementedYet(what: string): never {
  throw new KubectlBuildError('NOT_IMPLEMENTED', `${what} is not implemented in this version of kubectl-build`, {
    hint: 'use buildctl or docker buildx for now; this command is on the roadmap in the README',
  });
}
