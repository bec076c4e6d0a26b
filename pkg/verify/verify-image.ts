// One image end to end: resolve its name once, find its signatures, check each, and judge them
// against the policy; for an image index whose rules say so, every platform image too. A registry
// that cannot be read makes the verdict "undecided", never "fail": automation must tell an unsigned
// image from a registry that is down.
import { errorMessage, KubectlBuildError } from '../errors/index.ts';
// The evaluator alone: the policy file's parser (yaml, ajv) loads only when a file is read.
import { evaluate, matchingRules, signersOf, wantsPlatforms } from '../policy/evaluate.ts';
import type { Policy } from '../policy/types.ts';
import type { RegistryClient } from '../registry/client.ts';
import { repositoryName, type ImageReference } from '../registry/reference.ts';
import { checkSignature, type Trust } from './check.ts';
import { findSignatures, resolveImage, type ResolvedImage, type SignatureStore } from './discover.ts';
import { bundleAttestations, legacyAttestations } from './attestations.ts';
import type { CheckedAttestation, CheckedSignature, FoundSignature, Verdict } from './types.ts';

export interface VerifyContext {
  readonly client: RegistryClient;
  readonly trust: Trust;
  readonly policy: Policy;
  /** Policy signer name -> the fingerprint of its key (key signers only). */
  readonly fingerprints: ReadonlyMap<string, string>;
  /** COSIGN_REPOSITORY: signatures kept in another repository than the image's. */
  readonly signatureStore?: SignatureStore;
  /**
   * Signatures already found and checked in this run, by digest: tags that share a digest (and an
   * index's platform images shared between tags) are read and checked once.
   */
  readonly checked?: Map<string, Promise<CheckedSignature[]>>;
  /** Also list the digest's in-toto attestations (kubectl trust verify of one image; not the sweep or repository view). */
  readonly attestations?: boolean;
}

/** One signature as the report shows it. */
export interface SignatureReport extends CheckedSignature {
  /** The policy signers this signature is by (what requirement it can meet). */
  readonly meets: readonly string[];
}

export interface ImageReport {
  /** The reference as the user gave it (or as the repository view built it). */
  readonly image: string;
  readonly name: string;
  readonly tag?: string;
  /** The digest checked; undefined when the image could not even be resolved. */
  readonly digest?: string;
  readonly mediaType?: string;
  /** For a platform image of an index: "linux/arm64". */
  readonly platform?: string;
  /** For an image index: the platforms it lists (checked one by one only when a rule asks). */
  readonly indexPlatforms?: readonly string[];
  readonly signatures: readonly SignatureReport[];
  /** In-toto attestations stored for the digest (cosign attest), each with its predicate type; absent when none. */
  readonly attestations?: readonly CheckedAttestation[];
  readonly verdict: Verdict;
  /** Why the verdict is undecided: the one sentence of the failure, with what to do. */
  readonly error?: { readonly message: string; readonly hint?: string };
  /** Platform images checked because a matching rule asked for them (`platforms: true`). */
  readonly platforms?: readonly ImageReport[];
}

export async function verifyImage(context: VerifyContext, reference: ImageReference, shown: string): Promise<ImageReport> {
  const name = repositoryName(reference);
  let resolved: ResolvedImage;
  try {
    resolved = await resolveImage(context.client, reference);
  } catch (error) {
    return undecided({ image: shown, name, ...(reference.tag ? { tag: reference.tag } : {}) }, error);
  }
  return verifyResolved(context, resolved, shown);
}

/** The verdict on an image already resolved (the repository view resolves each tag itself). */
export async function verifyResolved(context: VerifyContext, image: ResolvedImage, shown: string): Promise<ImageReport> {
  const subject = { name: image.name, ...(image.tag ? { tag: image.tag } : {}) };
  const indexPlatforms = image.children.length > 0 ? { indexPlatforms: image.children.map((child) => child.platform) } : {};
  const head = { image: shown, ...subject, digest: image.digest, mediaType: image.mediaType, ...indexPlatforms };
  const own = await judgeDigest(context, image, image.digest, head);
  const rules = matchingRules(context.policy, subject);
  if (own.error || image.children.length === 0 || !wantsPlatforms(rules)) return own;
  const platforms = await Promise.all(
    image.children.map((child) => judgeDigest(context, image, child.digest, { image: `${image.name}@${child.digest}`, ...subject, digest: child.digest, platform: child.platform }, true)),
  );
  return { ...own, platforms, verdict: combine(own.verdict, platforms) };
}

/** One digest's signatures judged; `platform`: a platform image, judged by the rules that ask for those only. */
async function judgeDigest(context: VerifyContext, image: ResolvedImage, digest: string, head: Omit<ImageReport, 'signatures' | 'verdict'>, platform = false): Promise<ImageReport> {
  let checked: CheckedSignature[];
  let attestations: CheckedAttestation[] = [];
  try {
    // The .att tag is read alongside the signatures: no round trip added.
    const [signatures, legacy] = await Promise.all([
      checkedSignatures(context, image, digest),
      context.attestations ? legacyAttestations(context.client, context.trust, storeOf(context, image), digest) : [],
    ]);
    checked = signatures;
    if (context.attestations) attestations = [...legacy, ...bundleAttestations(signatures)];
  } catch (error) {
    return undecided(head, error);
  }
  const subject = { name: image.name, ...(image.tag ? { tag: image.tag } : {}) };
  const verdict = evaluate(context.policy, subject, checked, context.fingerprints, { platform });
  const signatures = checked.map((signature) => ({ ...signature, meets: signature.valid ? signersOf(context.policy, signature, context.fingerprints) : [] }));
  return { ...head, signatures, ...(attestations.length > 0 ? { attestations } : {}), verdict };
}

function storeOf(context: VerifyContext, image: ResolvedImage): SignatureStore {
  return context.signatureStore ?? { registry: image.registry, repository: image.repository };
}

function checkedSignatures(context: VerifyContext, image: ResolvedImage, digest: string): Promise<CheckedSignature[]> {
  const store = storeOf(context, image);
  const key = `${store.registry}/${store.repository}@${digest}`;
  const known = context.checked?.get(key);
  if (known) return known;
  const work = findSignatures(context.client, store, digest, image.name).then((found) =>
    found.map((signature): CheckedSignature => {
      const checked = signature.problem ? { found: signature, valid: false, annotations: {}, problem: signature.problem } : checkSignature(context.trust, signature, digest);
      // Kept for the rest of the run (context.checked): without what was read to check it (payload,
      // layer annotations, bundle: kilobytes a signature) unless attestations are read from it.
      return context.attestations ? checked : { ...checked, found: withoutContent(signature) };
    }),
  );
  context.checked?.set(key, work);
  return work;
}

/** What the report shows of a found signature: its layout and where it is, and why it could not be read. */
function withoutContent(found: FoundSignature): FoundSignature {
  return { format: found.format, location: found.location, ...(found.problem ? { problem: found.problem } : {}) };
}

/** The index's verdict with its platform images': the worst of them, with what each misses. */
function combine(own: Verdict, platforms: readonly ImageReport[]): Verdict {
  const all = [own, ...platforms.map((platform) => platform.verdict)];
  const outcome = all.some((verdict) => verdict.outcome === 'undecided') ? 'undecided' : all.some((verdict) => verdict.outcome === 'fail') ? 'fail' : 'pass';
  const missing = [...own.missing, ...platforms.flatMap((platform) => platform.verdict.missing.map((phrase) => `${platform.platform}: ${phrase}`))];
  return { ...own, outcome, missing };
}

function undecided(head: Omit<ImageReport, 'signatures' | 'verdict'>, error: unknown): ImageReport {
  const hint = error instanceof KubectlBuildError ? error.hint : undefined;
  return {
    ...head,
    signatures: [],
    verdict: { outcome: 'undecided', rules: [], signersMet: [], missing: [] },
    error: { message: errorMessage(error), ...(hint ? { hint } : {}) },
  };
}
