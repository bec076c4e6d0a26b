// What --sign needs, checked and started before anything is built: --push, a supported format,
// and the signer: a key (its password asked now, the key decrypted while the builder is reached,
// the Solve waiting for it), or keyless: a token checked now, or the browser login started now and
// awaited at sign time. Reads the environment: only cmd/ may.
import { parseKeyValues } from '../pkg/build/options.ts';
import { KubectlBuildError } from '../pkg/errors/index.ts';
import type { RegistryClient } from '../pkg/registry/client.ts';
import type { ImageReference } from '../pkg/registry/reference.ts';
import { cosignScrypt, loadSigner, preloadTransparencyLog, readPushed, type AttestationToSign, type Credential, type TransparencyLogOptions } from '../pkg/sign/index.ts';
import type { BuildArgv } from './build-run.ts';
import { keyHeadStart, withKeyHeadStart } from './key-head-start.ts';
import { givenIdentityToken, prepareKeyless, type Report } from './keyless.ts';
import { parseDuration } from './options/sign.ts';
import { cosignPassword } from './password.ts';

export interface Signing {
  readonly annotations: Record<string, string>;
  readonly transparencyLog?: TransparencyLogOptions;
  /** What the build awaits before its Solve: the key loaded (rejects as loading it failed). */
  readonly ready?: Promise<unknown>;
  /**
   * Rejects when signing can no longer happen whatever the build does (keyless: the browser login
   * failed during the build): the build is stopped then, before it pushes an image it cannot sign.
   */
  readonly failed?: Promise<never>;
  /** At sign time: the key, or the keyless certificate (waiting for the login if it is not done). */
  credential(report: Report): Promise<Credential>;
  /** Stops whatever still runs for signing (the login listener); called whatever happened. */
  close(): void;
}

export interface SigningContext {
  /** Whether the build pushes an image at all (pushesImage from the plan). */
  readonly pushes: boolean;
  readonly signal: AbortSignal;
  readonly stderr: { write(text: string): unknown };
  /**
   * Resolves once the build's Solve is sent: the log's libraries and Fulcio's client load, and
   * Fulcio is asked, after it, while the daemon builds (their loading takes the main thread, which
   * would otherwise delay the Solve). Without it, at once.
   */
  readonly solveSent?: Promise<unknown>;
}

export async function prepareSigning(argv: BuildArgv, env: NodeJS.ProcessEnv, context: SigningContext): Promise<Signing> {
  if (!context.pushes) {
    throw new KubectlBuildError('USAGE', '--sign needs --push: only a pushed image has a digest to sign', { hint: 'add --push and -t REGISTRY/IMAGE:TAG' });
  }
  const annotations = parseKeyValues('sign-annotation', argv['sign-annotation']);
  const requestTimeoutMs = parseDuration('sign-timeout', argv['sign-timeout']);
  const transparencyLog = argv['tlog-upload'] ? { url: argv['rekor-url'], timeoutMs: requestTimeoutMs } : undefined;
  const uri = argv['cosign-key'] ?? env.COSIGN_KEY;
  if (uri) {
    const started = Date.now();
    // k8s:// keys are read with the command's kubeconfig; the Kubernetes client loads only for them.
    const kubeSecret = uri.startsWith('k8s://') ? (await import('./cluster-builders.ts')).secretReader(argv) : undefined;
    // scrypt may be under way already: the entry started it before the program loaded.
    const deriveKey = withKeyHeadStart(keyHeadStart(), cosignScrypt);
    const loading = loadSigner(uri, { password: () => cosignPassword(env), env: (name) => env[name], requestTimeoutMs, deriveKey, ...(kubeSecret ? { kubeSecret } : {}) }).then((signer) => ({ signer, loadMs: Date.now() - started }));
    // A password asked on the terminal is asked before anything else prints. Otherwise the key is
    // decrypted (scrypt, ~0.2 s) while the builder is reached: the build awaits it (ready) before
    // its Solve, so a wrong password still fails before anything is built.
    if (env.COSIGN_PASSWORD === undefined) await loading;
    loading.catch(() => {}); // Awaited by the build as ready; no unhandled rejection meanwhile.
    // Checks passed: the build starts; the log's libraries load while it runs.
    if (transparencyLog) afterSolve(context, preloadTransparencyLog);
    return {
      annotations,
      ...(transparencyLog ? { transparencyLog } : {}),
      ready: loading,
      credential: async (report) => {
        const { signer, loadMs } = await loading;
        report(`loaded the key (${signer.description})`, loadMs);
        return { signer };
      },
      close: () => undefined,
    };
  }

  const givenToken = await givenIdentityToken(argv['identity-token'], env, argv['oidc-client-id'], context.signal, requestTimeoutMs);
  // As cosign 1.x: the browser login is an explicit opt-in; a token given is opt-in enough.
  if (!givenToken && env.COSIGN_EXPERIMENTAL !== '1' && env.COSIGN_EXPERIMENTAL !== 'true') {
    throw new KubectlBuildError('USAGE', '--sign needs a key, or an identity for keyless signing', {
      hint: 'pass --cosign-key (or COSIGN_KEY); for keyless signing pass --identity-token (or SIGSTORE_ID_TOKEN), or set COSIGN_EXPERIMENTAL=1 to log in with the browser',
    });
  }
  if (!transparencyLog) {
    throw new KubectlBuildError('USAGE', 'keyless signing needs the transparency log: --tlog-upload=false is for key signing only', {
      hint: 'leave out --tlog-upload=false (the certificate lives minutes; the log entry is what proves it was valid at signing)',
    });
  }
  const keyless = await prepareKeyless({
    ...(givenToken ? { givenToken } : {}),
    fulcioUrl: argv['fulcio-url'],
    requestTimeoutMs,
    issuer: argv['oidc-issuer'],
    clientId: argv['oidc-client-id'],
    loginTimeoutMs: parseDuration('login-timeout', argv['login-timeout']),
    interactive: Boolean(process.stdin.isTTY && process.stderr.isTTY),
    ...(env.KUBECTL_BUILD_BROWSER ? { browser: env.KUBECTL_BUILD_BROWSER } : {}),
    stderr: context.stderr,
    signal: context.signal,
    ...(context.solveSent ? { certifyAfter: context.solveSent } : {}),
  });
  afterSolve(context, preloadTransparencyLog);
  return { annotations, transparencyLog, failed: keyless.failed, credential: (report) => keyless.credential(report), close: () => keyless.close() };
}

function afterSolve(context: SigningContext, work: () => void): void {
  if (context.solveSent) void context.solveSent.then(work, () => undefined);
  else work();
}

/**
 * What --sign signs, read from what was pushed: the digest, with --sign-recursive each platform
 * image under it (never an attestation manifest), and each of BuildKit's attestations (provenance,
 * SBOM) as a signed in-toto attestation of the digest, and with --sign-recursive also of the
 * platform image it describes.
 */
export async function signingTargets(
  client: RegistryClient,
  image: ImageReference,
  digest: string,
  recursive: boolean,
): Promise<{ digests: string[]; attestations: AttestationToSign[] }> {
  const pushed = await readPushed(client, image.registry, image.repository, digest);
  const attestations = pushed.attestations.flatMap(({ describes, predicateType, predicate }) => [
    { digest, predicateType, predicate },
    ...(recursive && describes !== digest ? [{ digest: describes, predicateType, predicate }] : []),
  ]);
  // The platform images first: their signatures are stored in this order, and a failure stops there,
  // so a list is never signed while one of its images could not be.
  return { digests: [...(recursive ? pushed.platformImages : []), digest], attestations };
}
