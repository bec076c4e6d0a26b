// How verdicts reach people and programs: a table of every signature found (format, signer, log
// entry, what it meets, and why it does not count when it does not) with the verdict under it; or
// -o json, a stable shape documented in docs/verify.md (apiVersion kubectl-build.dev/v1alpha1,
// kind VerificationReport). Keys are shown by fingerprint, never as key material.
import type { ImageReport, SignatureReport } from './verify-image.ts';
import type { CheckedAttestation, SignerIdentity } from './types.ts';

export const REPORT_API_VERSION = 'kubectl-build.dev/v1alpha1';

export function reportJson(images: readonly ImageReport[]): string {
  return `${JSON.stringify({ apiVersion: REPORT_API_VERSION, kind: 'VerificationReport', images: images.map(imageJson) }, null, 2)}\n`;
}

export function imageJson(image: ImageReport): Record<string, unknown> {
  return {
    image: image.image,
    name: image.name,
    ...(image.tag ? { tag: image.tag } : {}),
    ...(image.digest ? { digest: image.digest } : {}),
    ...(image.mediaType ? { mediaType: image.mediaType } : {}),
    ...(image.platform ? { platform: image.platform } : {}),
    verdict: image.verdict,
    ...(image.error ? { error: image.error } : {}),
    signatures: image.signatures.map(signatureJson),
    ...(image.attestations ? { attestations: image.attestations.map(attestationJson) } : {}),
    ...(image.platforms ? { platforms: image.platforms.map(imageJson) } : {}),
  };
}

function signatureJson(signature: SignatureReport): Record<string, unknown> {
  return {
    format: signature.found.format,
    location: signature.found.location,
    valid: signature.valid,
    ...(signature.problem ? { problem: signature.problem } : {}),
    ...(signature.signer ? { signer: signerJson(signature.signer) } : {}),
    ...(signature.log
      ? { log: { index: signature.log.index, integratedTime: signature.log.integratedTime.toISOString(), logId: signature.log.logId, ...(signature.log.url ? { url: signature.log.url } : {}) } }
      : {}),
    annotations: signature.annotations,
    meets: signature.meets,
  };
}

/** An attestation as a signature is shown, with its predicate type and without `meets` (it meets no signer itself). */
function attestationJson(attestation: CheckedAttestation): Record<string, unknown> {
  const json: Record<string, unknown> = { predicateType: attestation.predicateType, ...signatureJson({ ...attestation, meets: [] }) };
  delete json.meets;
  return json;
}

function signerJson(signer: SignerIdentity): Record<string, unknown> {
  return signer.kind === 'key'
    ? { kind: 'key', fingerprint: signer.fingerprint, key: signer.keyName }
    : { kind: 'keyless', identity: signer.identity, issuer: signer.issuer };
}

/** The signer in a few words: "key SHA256:ab12cd34ef56 (dev.pub)" or "alice@example.com from https://issuer". */
export function describeSigner(signer: SignerIdentity | undefined): string {
  if (!signer) return 'unknown';
  return signer.kind === 'key' ? `key ${signer.fingerprint.slice(0, 16)} (${signer.keyName})` : `${signer.identity} from ${signer.issuer}`;
}

const OUTCOME_WORD = { pass: 'PASS', fail: 'FAIL', undecided: 'UNDECIDED' } as const;

/** The table for one image (and its platform images), ending with the verdict and what is missing. */
export function reportTable(image: ImageReport): string {
  const lines: string[] = [];
  // A platform image is named by its digest alone: the tag names the index.
  const title = `${image.name}${image.tag && !image.platform ? `:${image.tag}` : ''}${image.digest ? `@${image.digest}` : ''}`;
  lines.push(`${image.platform ? `  platform ${image.platform}: ` : ''}${title}`);
  if (image.error) {
    lines.push(`  could not decide: ${image.error.message}${image.error.hint ? ` (${image.error.hint})` : ''}`);
  } else if (image.signatures.length === 0) {
    lines.push('  no signatures found');
  } else {
    const rows = image.signatures.map((signature) => [
      signature.found.format,
      describeSigner(signature.signer),
      signature.log ? `#${signature.log.index} ${signature.log.integratedTime.toISOString().replace('.000Z', 'Z')}` : '-',
      signature.meets.length > 0 ? signature.meets.join(',') : '-',
      signature.valid ? 'valid' : `invalid: ${signature.problem ?? 'unknown'}`,
    ]);
    lines.push(...columns([['FORMAT', 'SIGNER', 'LOG ENTRY', 'MEETS', 'STATUS'], ...rows]).map((line) => `  ${line}`));
  }
  if (image.attestations && !image.error) {
    const rows = image.attestations.map((attestation) => [
      attestation.found.format,
      attestation.predicateType || 'unknown',
      describeSigner(attestation.signer),
      attestation.valid ? 'valid' : `invalid: ${attestation.problem ?? 'unknown'}`,
    ]);
    lines.push(...columns([['ATTESTATION', 'PREDICATE TYPE', 'SIGNER', 'STATUS'], ...rows]).map((line) => `  ${line}`));
  }
  for (const platform of image.platforms ?? []) lines.push(...reportTable(platform).trimEnd().split('\n').map((line) => `  ${line}`));
  if (!image.platform) lines.push(verdictLine(image));
  return `${lines.join('\n')}\n`;
}

export function verdictLine(image: ImageReport): string {
  const { verdict } = image;
  const rules = verdict.rules.length > 0 ? ` (rule ${verdict.rules.map((rule) => `"${rule}"`).join(', ')})` : '';
  const met = verdict.signersMet.length > 0 ? `; signed by ${verdict.signersMet.join(', ')}` : '';
  const missing = verdict.missing.length > 0 ? `; missing: ${verdict.missing.join('; ')}` : '';
  return `verdict: ${OUTCOME_WORD[verdict.outcome]}${rules}${met}${missing}`;
}

/** Rows as left-aligned columns, two spaces apart; the last column is not padded. */
export function columns(rows: readonly (readonly string[])[]): string[] {
  const widths = rows[0]?.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length))) ?? [];
  return rows.map((row) => row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column] ?? 0))).join('  '));
}
