// Signing what was pushed: the digests the exporter reported (never a tag resolved again), in every
// repository the image was pushed to, with the key or keyless certificate the user chose. Every
// signature (and its log entry) is made before the first one is stored, so a signing service that
// fails leaves nothing half-written. Each step is reported with its time.
import { errorMessage, KubectlBuildError } from '../errors/index.ts';
import type { RegistryClient } from '../registry/client.ts';
import { repositoryName, type ImageReference } from '../registry/reference.ts';
import { attachBundle } from './bundle.ts';
import { attachLegacyAttestation, attachLegacySignature } from './legacy.ts';
import { simpleSigningPayload } from './payload.ts';
import { bundleSignature, legacyAttestationAnnotations, legacySignature, signedStatement, type Credential, type Produced } from './produce.ts';
import { attestationStatement } from './pushed-attestations.ts';
import type { SignatureTarget } from './tag-update.ts';
import type { TransparencyLogOptions } from './transparency.ts';

export { cosignScrypt, loadSigner, type DeriveKey, type Signer, type KeyOptions } from './keys.ts';
export { DEFAULT_FULCIO_URL, requestCertificate, type SigningCertificate } from './keyless.ts';
export { DEFAULT_REKOR_URL, preloadTransparencyLog, type TransparencyLogOptions } from './transparency.ts';
export type { Credential } from './produce.ts';
export { readPushed, type BuiltAttestation, type PushedContents } from './pushed-attestations.ts';

export type SignatureFormat = 'legacy' | 'bundle' | 'both';

export interface SignOptions {
  readonly client: RegistryClient;
  readonly credential: Credential;
  /** Upload each signature to this Rekor log first (cosign's --tlog-upload). */
  readonly transparencyLog?: TransparencyLogOptions;
  /** The pushed images (one per repository is enough: tags of one repository share signatures). */
  readonly images: readonly ImageReference[];
  /** The digests to sign: the one the build pushed, and with --sign-recursive each platform's. */
  readonly digests: readonly string[];
  readonly annotations: Readonly<Record<string, string>>;
  readonly format: SignatureFormat;
  /** In-toto attestations to sign and attach (cosign attest's layouts), each for the digest it names. */
  readonly attestations?: readonly AttestationToSign[];
  readonly onStep?: (step: string, durationMs: number) => void;
}

export interface AttestationToSign {
  /** The image the attestation is attached to, and its statement's subject. */
  readonly digest: string;
  readonly predicateType: string;
  readonly predicate: unknown;
}

/** One signature to store: where, and how. */
interface Pending {
  readonly name: string;
  readonly target: SignatureTarget;
  store(): Promise<void>;
}

/** Signs every digest in every repository of `images`; reported step by step through onStep. */
export async function signPushed(options: SignOptions): Promise<void> {
  const repositories = new Map<string, ImageReference>();
  for (const image of options.images) repositories.set(repositoryName(image), image);
  const work: Array<{ name: string; target: SignatureTarget; attestation?: AttestationToSign }> = [];
  for (const [name, image] of repositories) {
    const at = (digest: string) => ({ registry: image.registry, repository: image.repository, digest });
    for (const digest of options.digests) work.push({ name, target: at(digest) });
    for (const attestation of options.attestations ?? []) work.push({ name, target: at(attestation.digest), attestation });
  }
  // First every signature and log entry (in parallel: each is a round trip to the log), then the pushes.
  const pending = (
    await Promise.all(
      work.map(({ name, target, attestation }) =>
        guarded(name, target, 'made', () => (attestation ? produceAttestation(options, name, target, attestation) : produce(options, name, target))),
      ),
    )
  ).flat();
  for (const item of pending) await guarded(item.name, item.target, 'stored', () => item.store());
}

async function produce(options: SignOptions, name: string, target: SignatureTarget): Promise<Pending[]> {
  const { credential, transparencyLog: log } = options;
  const payload = simpleSigningPayload(name, target.digest, options.annotations);
  // Both layouts at once: with a log, each is a round trip to it.
  const [legacy, bundle] = await Promise.all([
    options.format !== 'bundle' ? legacySignature(credential, payload, log) : undefined,
    options.format !== 'legacy' ? bundleSignature(credential, target.digest, options.annotations, log) : undefined,
  ]);
  const { reportMade, storing } = steps(options, name, target);
  const pending: Pending[] = [];
  if (legacy) {
    reportMade('signed', 'signature', legacy);
    pending.push(
      storing(async () => {
        const { tag, signatures } = await attachLegacySignature(options.client, target, payload, legacy.value);
        return `pushed the signature to ${name}:${tag} (${signatures} signature${signatures === 1 ? '' : 's'} there)`;
      }),
    );
  }
  if (bundle) {
    reportMade('made a Sigstore bundle for', 'bundle', bundle);
    pending.push(
      storing(async () => {
        const { referrer, fallbackTag } = await attachBundle(options.client, target, bundle.value);
        return `pushed the bundle as the referrer ${name}@${referrer}${fallbackTag ? `, listed under ${name}:${fallbackTag} (no referrers API)` : ''}`;
      }),
    );
  }
  return pending;
}

// One attestation (cosign attest): signed once, stored in the layouts asked for.
async function produceAttestation(options: SignOptions, name: string, target: SignatureTarget, attestation: AttestationToSign): Promise<Pending[]> {
  const statement = attestationStatement(name, target.digest, attestation.predicateType, attestation.predicate);
  const signed = await signedStatement(options.credential, statement, options.transparencyLog);
  const { reportMade, storing } = steps(options, name, target);
  reportMade(`signed the ${attestation.predicateType} attestation of`, 'attestation', signed);
  const pending: Pending[] = [];
  if (options.format !== 'bundle') {
    const annotations = legacyAttestationAnnotations(options.credential, attestation.predicateType, signed, options.transparencyLog);
    const envelope = Buffer.from(JSON.stringify(signed.value.dsseEnvelope));
    pending.push(
      storing(async () => {
        const { tag, signatures } = await attachLegacyAttestation(options.client, target, envelope, annotations);
        return `pushed the attestation to ${name}:${tag} (${signatures} attestation${signatures === 1 ? '' : 's'} there)`;
      }),
    );
  }
  if (options.format !== 'legacy') {
    const bundle = Buffer.from(JSON.stringify(signed.value));
    pending.push(
      storing(async () => {
        const { referrer, fallbackTag } = await attachBundle(options.client, target, bundle, attestation.predicateType);
        return `pushed the attestation bundle as the referrer ${name}@${referrer}${fallbackTag ? `, listed under ${name}:${fallbackTag} (no referrers API)` : ''}`;
      }),
    );
  }
  return pending;
}

/** The progress lines of one signature: what was made (and logged), and each store step with its time. */
function steps(options: SignOptions, name: string, target: SignatureTarget) {
  const { credential, transparencyLog: log, onStep } = options;
  const reportMade = (what: string, logged: string, made: Produced<unknown>) => {
    onStep?.(`${what} ${name}@${target.digest} with ${credential.signer.description}`, made.signMs);
    if (made.log) onStep?.(`recorded the ${logged} in the transparency log ${log?.url} as entry ${made.log.index}`, made.log.ms);
  };
  // A store step returns what it did, for the progress line with its time.
  const storing = (store: () => Promise<string>): Pending => ({
    name,
    target,
    store: async () => {
      const started = Date.now();
      const step = await store();
      onStep?.(step, Date.now() - started);
    },
  });
  return { reportMade, storing };
}

const wrapped = new WeakSet<object>();

/** Any failure as one sentence that says the image itself was pushed, and what became of its signature. */
async function guarded<T>(name: string, target: SignatureTarget, verb: 'made' | 'stored', step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (error) {
    if (error instanceof KubectlBuildError && wrapped.has(error)) throw error;
    const inner = error instanceof KubectlBuildError ? error : undefined;
    // Unreachable and refused services keep their code; anything else is a failed signature.
    const code = inner?.code === 'UNAVAILABLE' || inner?.code === 'UNAUTHENTICATED' ? inner.code : 'SIGN_FAILED';
    const outer = new KubectlBuildError(code, `${name}@${target.digest} was pushed, but its signature could not be ${verb}: ${errorMessage(error)}`, {
      hint: inner?.hint ?? 'sign it again once the registry accepts writes',
      cause: error,
    });
    wrapped.add(outer);
    throw outer;
  }
}
