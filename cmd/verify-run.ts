// `kubectl trust verify`'s work, loaded only when it runs. Reads what only the command line may read
// (argv, environment), turns cosign's flags or a policy file into one policy, loads the keys and the
// trusted root, and hands them to pkg/verify; prints the table or JSON and exits with the verdict.
import { parseKeyValues } from '../pkg/build/options.ts';
import { KubectlBuildError } from '../pkg/errors/index.ts';
import { policyFromFlags } from '../pkg/policy/flags.ts';
import type { Policy } from '../pkg/policy/types.ts';
import { parseReference, repositoryName } from '../pkg/registry/reference.ts';
import { reportJson, reportTable } from '../pkg/verify/report.ts';
import { verifyRepository } from '../pkg/verify/repository.ts';
import { repositoryTable } from '../pkg/verify/repository-report.ts';
import { verifyImage, type ImageReport, type VerifyContext } from '../pkg/verify/verify-image.ts';
import { kmsTimeoutMs } from './options/kms.ts';
import { registryTimeoutMs } from './options/registry.ts';
import type { VerifyArgv } from './options/verify.ts';
import { exitWithVerdicts, verifyContext } from './trust-inputs.ts';

export async function verifyCommand(argv: VerifyArgv, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  if (argv.image && argv.repository) throw usage('give an image or --repository, not both');
  if (!argv.image && !argv.repository) throw usage('name the image to verify (or --repository REGISTRY/REPOSITORY)');
  if (!argv.repository && (argv.unsigned || argv.failing || argv['signed-by'])) throw usage('--unsigned, --failing and --signed-by filter the --repository view');
  const policy = await choosePolicy(argv);
  const target = parseReference(argv.repository ?? argv.image ?? '');
  const context = await verifyContext(policy, { kube: argv, trustedRoot: argv['trusted-root'], allowHttp: argv['allow-http-registry'] ? [target.registry] : [], registryTimeoutMs: registryTimeoutMs(argv), kmsTimeoutMs: kmsTimeoutMs(argv) }, env);

  const reports = argv.repository ? await repositoryView(argv, context, target) : [await verifyImage({ ...context, attestations: true }, target, argv.image as string)];
  if (!argv.repository) process.stdout.write(argv.output === 'json' ? reportJson(reports) : reportTable(reports[0] as ImageReport));
  exitWithVerdicts(reports.map((report) => report.verdict));
}

/** Every tag, printed as it is judged; the filters choose the rows, the exit code speaks of every tag. */
async function repositoryView(argv: VerifyArgv, context: VerifyContext, target: ReturnType<typeof parseReference>): Promise<ImageReport[]> {
  if (target.tag || target.digest) throw usage(`--repository takes a repository without tag or digest, not "${argv.repository}"`);
  const signedBy = argv['signed-by'];
  const shown = (report: ImageReport) =>
    (!argv.unsigned || (!report.error && report.signatures.length === 0)) &&
    (!argv.failing || report.verdict.outcome !== 'pass') &&
    (!signedBy || report.verdict.signersMet.includes(signedBy) || report.signatures.some((signature) => signature.valid && signerMatches(signature.signer, signedBy)));
  const table = repositoryTable(process.stdout, argv.output);
  const outcomes: ImageReport[] = [];
  const repository = { registry: target.registry, repository: target.repository, name: repositoryName(target) };
  for await (const report of verifyRepository(context, repository, argv.concurrency)) {
    // Only the verdict is kept for the exit code: the report itself goes out and is let go.
    outcomes.push({ ...report, signatures: [], platforms: [] });
    if (shown(report)) table.row(report);
  }
  table.end();
  return outcomes;
}

function signerMatches(signer: ImageReport['signatures'][number]['signer'], wanted: string): boolean {
  if (!signer) return false;
  return signer.kind === 'key' ? signer.fingerprint.startsWith(wanted.toLowerCase()) || signer.keyName === wanted : signer.identity === wanted;
}

async function choosePolicy(argv: VerifyArgv): Promise<Policy> {
  const flagged = argv.key.length > 0 || Boolean(argv['certificate-identity'] ?? argv['certificate-identity-regexp'] ?? argv['certificate-oidc-issuer'] ?? argv['certificate-oidc-issuer-regexp']);
  if (argv.policy) {
    if (flagged || argv.annotations.length > 0) {
      throw usage('--policy names its own signers: leave out --key, --certificate-* and -a', 'put the keys, identities and annotations into the policy file');
    }
    // The YAML parser and the schema validator load only for a policy file.
    return (await import('../pkg/policy/load.ts')).loadPolicy(argv.policy);
  }
  return policyFromFlags({
    keys: argv.key,
    ...(argv['certificate-identity'] ? { certificateIdentity: argv['certificate-identity'] } : {}),
    ...(argv['certificate-identity-regexp'] ? { certificateIdentityRegexp: argv['certificate-identity-regexp'] } : {}),
    ...(argv['certificate-oidc-issuer'] ? { certificateOidcIssuer: argv['certificate-oidc-issuer'] } : {}),
    ...(argv['certificate-oidc-issuer-regexp'] ? { certificateOidcIssuerRegexp: argv['certificate-oidc-issuer-regexp'] } : {}),
    annotations: parseKeyValues('annotations', argv.annotations),
    ignoreTlog: argv['insecure-ignore-tlog'],
  });
}

function usage(message: string, hint = 'run "kubectl trust verify --help" for usage'): KubectlBuildError {
  return new KubectlBuildError('USAGE', message, { hint });
}
