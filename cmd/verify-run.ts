// `kubectl trust verify`'s work, loaded only when it runs. Reads what only the command line may read
// (argv, environment), turns cosign's flags or a policy file into one policy, loads the keys and the
// trusted root, and hands them to pkg/verify; prints the table or JSON and exits with the verdict.
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseKeyValues } from '../pkg/build/options.ts';
import { KubectlBuildError } from '../pkg/errors/index.ts';
import { loadPolicy, policyFromFlags, type Policy } from '../pkg/policy/index.ts';
import { RegistryClient } from '../pkg/registry/client.ts';
import { dockerConfigCredentials } from '../pkg/registry/docker-config.ts';
import { parseReference, repositoryName } from '../pkg/registry/reference.ts';
import { keyFingerprint, loadTrust } from '../pkg/verify/check.ts';
import { reportJson, reportTable } from '../pkg/verify/report.ts';
import { verifyRepository } from '../pkg/verify/repository.ts';
import { repositoryTable } from '../pkg/verify/repository-report.ts';
import { verifyImage, type ImageReport, type VerifyContext } from '../pkg/verify/verify-image.ts';
import { CommandExit, VerifyExitCode } from './exit-codes.ts';
import type { VerifyArgv } from './options/verify.ts';
import { loadKeys, readFileOrFail, readTrustedRoot } from './trust-inputs.ts';

export async function verifyCommand(argv: VerifyArgv, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  if (argv.image && argv.repository) throw usage('give an image or --repository, not both');
  if (!argv.image && !argv.repository) throw usage('name the image to verify (or --repository REGISTRY/REPOSITORY)');
  if (!argv.repository && (argv.unsigned || argv.failing || argv['signed-by'])) throw usage('--unsigned, --failing and --signed-by filter the --repository view');
  const policy = await choosePolicy(argv);
  const keys = await loadKeys(argv, policy, env);
  const trustedRoot = await readTrustedRoot(argv['trusted-root'] ?? policy.trustedRoot);
  const rekorPublicKeyPem = env.SIGSTORE_REKOR_PUBLIC_KEY ? await readFileOrFail(env.SIGSTORE_REKOR_PUBLIC_KEY, 'the Rekor public key named by SIGSTORE_REKOR_PUBLIC_KEY') : undefined;
  requireTrustFor(policy, trustedRoot !== undefined, rekorPublicKeyPem !== undefined);
  const trust = loadTrust({ keys, ...(trustedRoot !== undefined ? { trustedRoot } : {}), ...(rekorPublicKeyPem ? { rekorPublicKeyPem } : {}) });

  const target = parseReference(argv.repository ?? argv.image ?? '');
  const signatureStore = env.COSIGN_REPOSITORY ? parseReference(env.COSIGN_REPOSITORY) : undefined;
  const context: VerifyContext = {
    client: new RegistryClient({
      credentials: dockerConfigCredentials(env.DOCKER_CONFIG ?? join(homedir(), '.docker')),
      insecureRegistries: argv['allow-http-registry'] ? [target.registry, ...(signatureStore ? [signatureStore.registry] : [])] : [],
    }),
    trust,
    policy,
    fingerprints: new Map(keys.map((key) => [key.name, keyFingerprint(key.publicKeyPem)])),
    ...(signatureStore ? { signatureStore: { registry: signatureStore.registry, repository: signatureStore.repository } } : {}),
    checked: new Map(),
  };

  const reports = argv.repository ? await repositoryView(argv, context, target) : [await verifyImage(context, target, argv.image as string)];
  if (!argv.repository) process.stdout.write(argv.output === 'json' ? reportJson(reports) : reportTable(reports[0] as ImageReport));
  const outcomes = new Set(reports.map((report) => report.verdict.outcome));
  const exitCode = outcomes.has('undecided') ? VerifyExitCode.UNDECIDED : outcomes.has('fail') ? VerifyExitCode.FAIL : VerifyExitCode.PASS;
  if (exitCode !== VerifyExitCode.PASS) throw new CommandExit(exitCode);
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
    return loadPolicy(argv.policy);
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

/** Keyless signers and a required log need trust material; say so before reading any registry. */
function requireTrustFor(policy: Policy, hasTrustedRoot: boolean, hasRekorKey: boolean): void {
  if (!hasTrustedRoot && policy.signers.some((signer) => signer.kind === 'keyless')) {
    throw usage('keyless signers need a trusted root to check certificates against', 'pass --trusted-root trusted_root.json (or trustedRoot: in the policy file)');
  }
  if (!hasTrustedRoot && !hasRekorKey && policy.rules.some((rule) => rule.transparencyLog === 'required')) {
    throw usage(
      'the transparency log is required, and there is no trusted root to check log entries against',
      'pass --trusted-root trusted_root.json (or set SIGSTORE_REKOR_PUBLIC_KEY), or --insecure-ignore-tlog for key signatures made without a log',
    );
  }
}

function usage(message: string, hint = 'run "kubectl trust verify --help" for usage'): KubectlBuildError {
  return new KubectlBuildError('USAGE', message, { hint });
}
