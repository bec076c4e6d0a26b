// The signer policy of `kubectl trust verify`: read a policy file (or turn cosign's flags into a
// policy), and judge an image's checked signatures against it.
export { loadPolicy, parsePolicy } from './load.ts';
export { evaluate, matchingRules, signersOf, wantsPlatforms, type EvaluateOptions } from './evaluate.ts';
export { policyFromFlags, FLAGS_POLICY_SOURCE, type FlagOptions } from './flags.ts';
export { SCHEMA_ID } from './schema-errors.ts';
export {
  POLICY_API_VERSION,
  POLICY_KIND,
  type ImageName,
  type KeylessSigner,
  type KeySigner,
  type Policy,
  type PolicySigner,
  type Requirement,
  type Rule,
  type TextMatch,
} from './types.ts';
