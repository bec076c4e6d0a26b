// Making the signatures, before anything is stored: the legacy layer's annotations (signature, and
// keyless or logged: certificate, chain, Rekor bundle) and the Sigstore bundle's bytes. A log entry
// is made here, so a log that is down fails the run before any signature reaches the registry.
// Key-signed bundles without a log are written by bundle.ts alone; the rest uses @sigstore/bundle.
import { createHash, X509Certificate } from 'node:crypto';
import { inTotoStatement, makeStatementBundle, preAuthenticationEncoding, publicKeyHint, STATEMENT_TYPE } from './bundle.ts';
import type { Signer } from './keys.ts';
import { BUNDLE_ANNOTATION, CERTIFICATE_ANNOTATION, CHAIN_ANNOTATION, SIGNATURE_ANNOTATION } from './legacy.ts';
import { commonJs } from './sigstore-errors.ts';
import { cosignBundleAnnotation, recordInLog, type TransparencyLogEntry, type TransparencyLogOptions } from './transparency.ts';

/** Who signs: a key, or (keyless) an ephemeral key with Fulcio's certificate for it. */
export interface Credential {
  readonly signer: Signer;
  readonly certificate?: { readonly certificatePem: string; readonly chainPem: readonly string[] };
}

export interface Produced<T> {
  readonly value: T;
  readonly signMs: number;
  /** Where the log put it and how long that took, when a log was asked for. */
  readonly log?: { readonly index: string; readonly ms: number };
}

/** What the log is told verifies the signature: the certificate, else the public key. */
function verifierPem(credential: Credential): string {
  return credential.certificate?.certificatePem ?? credential.signer.publicKeyPem;
}

export async function legacySignature(credential: Credential, payload: Buffer, log?: TransparencyLogOptions): Promise<Produced<Record<string, string>>> {
  const started = Date.now();
  const signature = await credential.signer.sign(payload);
  const signMs = Date.now() - started;
  const annotations: Record<string, string> = { [SIGNATURE_ANNOTATION]: signature.toString('base64'), ...certificateAnnotations(credential) };
  if (!log) return { value: annotations, signMs };
  const logStarted = Date.now();
  const { toMessageSignatureBundle } = commonJs(await import('@sigstore/bundle'), 'toMessageSignatureBundle');
  const { content } = toMessageSignatureBundle({ digest: createHash('sha256').update(payload).digest(), signature, certificateChain: false });
  const entry = await recordInLog(log, content, verifierPem(credential));
  annotations[BUNDLE_ANNOTATION] = cosignBundleAnnotation(entry, log.url);
  return { value: annotations, signMs, log: { index: entry.logIndex, ms: Date.now() - logStarted } };
}

export async function bundleSignature(
  credential: Credential,
  digest: string,
  annotations: Readonly<Record<string, string>>,
  log?: TransparencyLogOptions,
): Promise<Produced<Buffer>> {
  return statementBundle(credential, inTotoStatement(digest, annotations), log);
}

/** A Sigstore bundle around any in-toto statement: the image's signature statement, or an attestation. */
export async function statementBundle(credential: Credential, statement: Buffer, log?: TransparencyLogOptions): Promise<Produced<Buffer>> {
  const { value, signMs, log: logged } = await signedStatement(credential, statement, log);
  return { value: Buffer.from(JSON.stringify(value)), signMs, ...(logged ? { log: logged } : {}) };
}

export interface SignedStatement extends Produced<DsseBundleJson> {
  /** The log's entry, when a log was asked for: cosign's legacy layout keeps it in an annotation. */
  readonly entry?: TransparencyLogEntry;
}

/** The bundle as JSON: its DSSE envelope is also what cosign's legacy .att layout stores. */
export interface DsseBundleJson {
  readonly dsseEnvelope: { readonly payload: string; readonly payloadType: string; readonly signatures: ReadonlyArray<{ readonly sig: string; readonly keyid?: string }> };
  readonly [key: string]: unknown;
}

/** Signs the statement (DSSE) once, and records it in the log when asked. */
export async function signedStatement(credential: Credential, statement: Buffer, log?: TransparencyLogOptions): Promise<SignedStatement> {
  const started = Date.now();
  if (!log && !credential.certificate) {
    const value = JSON.parse((await makeStatementBundle(credential.signer, statement)).toString('utf8')) as DsseBundleJson;
    return { value, signMs: Date.now() - started };
  }
  const { toDSSEBundle, bundleToJSON } = commonJs(await import('@sigstore/bundle'), 'toDSSEBundle');
  const signature = await credential.signer.sign(preAuthenticationEncoding(STATEMENT_TYPE, statement));
  const signMs = Date.now() - started;
  const bundle = toDSSEBundle({
    artifact: statement,
    artifactType: STATEMENT_TYPE,
    signature,
    // A v0.3 bundle holds the leaf alone; verifiers take the chain from their trusted root.
    certificateChain: false,
    ...(credential.certificate ? { certificate: new X509Certificate(credential.certificate.certificatePem).raw } : {}),
  });
  // The key's hint goes in the verification material only: a keyid on the DSSE signature makes
  // cosign v2 skip the signature when it does not match its own idea of the key's id.
  if (bundle.verificationMaterial.content.$case === 'publicKey') bundle.verificationMaterial.content.publicKey.hint = publicKeyHint(credential.signer.publicKeyPem);
  let logged: Pick<SignedStatement, 'log' | 'entry'> = {};
  if (log) {
    const logStarted = Date.now();
    const entry = await recordInLog(log, bundle.content, verifierPem(credential));
    bundle.verificationMaterial.tlogEntries = [entry];
    logged = { entry, log: { index: entry.logIndex, ms: Date.now() - logStarted } };
  }
  return { value: bundleToJSON(bundle) as unknown as DsseBundleJson, signMs, ...logged };
}

/**
 * The legacy .att layer's annotations, as cosign attest writes them: the predicate type, and
 * keyless or logged, the certificate, chain and the log's signed entry timestamp.
 */
export function legacyAttestationAnnotations(credential: Credential, predicateType: string, signed: SignedStatement, log?: TransparencyLogOptions): Record<string, string> {
  const annotations: Record<string, string> = { predicateType, ...certificateAnnotations(credential) };
  if (signed.entry && log) annotations[BUNDLE_ANNOTATION] = cosignBundleAnnotation(signed.entry, log.url);
  return annotations;
}

/** Keyless: the certificate and its chain, on the legacy layer as cosign puts them. */
function certificateAnnotations(credential: Credential): Record<string, string> {
  if (!credential.certificate) return {};
  return { [CERTIFICATE_ANNOTATION]: credential.certificate.certificatePem, [CHAIN_ANNOTATION]: credential.certificate.chainPem.join('') };
}
