// Transparency log entries: which ones can be checked (those of a log the trust material knows:
// sigstore-go skips the others, and the policy decides whether a log was required), the trust
// material @sigstore/verify checks them with, the key the entry names (cosign's comparePublicKey,
// sigstore-go's CompareKey: @sigstore/verify compares only signature and digest), and what the
// user sees of a verified entry.
import { createPublicKey } from 'node:crypto';
import type { TransparencyLogEntry } from '@sigstore/bundle';
import type { TrustMaterial } from '@sigstore/verify';
import { CheckProblem } from './problem.ts';
import { spki } from './trust.ts';
import type { LogEntry } from './types.ts';

type LogAuthority = TrustMaterial['tlogs'][number];

/** The entries a log of the trust material can check; the others are left unchecked (no log). */
export function checkableEntries(material: TrustMaterial, entries: readonly TransparencyLogEntry[]): TransparencyLogEntry[] {
  return entries.filter((entry) => authorityOf(material, entry) !== undefined);
}

/** The time a checked entry's signed entry timestamp vouches for (Rekor v1); undefined without one. */
export function integratedTime(entry: TransparencyLogEntry): Date | undefined {
  return entry.inclusionPromise && entry.integratedTime !== '0' ? new Date(Number(entry.integratedTime) * 1000) : undefined;
}

/**
 * The logs as @sigstore/verify should see them. It also requires a checkpoint's signer name to be
 * part of the log's URL; sigstore-go checks that only for Rekor v2 (tile) logs, and a local Rekor
 * v1 signs its checkpoints with its host name, which a trusted root's URL need not contain. For a
 * Rekor v1 entry, the name is taken as the checkpoint gives it: the log's key still has to verify it.
 */
export function logsFor(material: TrustMaterial, entries: readonly TransparencyLogEntry[]): LogAuthority[] {
  return material.tlogs.map((log) => {
    const names = entries
      .filter((entry) => entry.logId?.keyId.equals(log.logID) && !isRekorV2(entry) && entry.inclusionProof?.checkpoint)
      .map((entry) => entry.inclusionProof?.checkpoint?.envelope ?? '');
    return names.length === 0 ? log : { ...log, baseURL: [log.baseURL, ...names].join('\n') };
  });
}

/** What the table shows of a verified entry. */
export function logEntry(material: TrustMaterial, entry: TransparencyLogEntry): LogEntry {
  const url = authorityOf(material, entry)?.baseURL;
  return {
    index: Number(entry.logIndex),
    integratedTime: integratedTime(entry) ?? new Date(Number(entry.integratedTime) * 1000),
    logId: entry.logId?.keyId.toString('hex') ?? '',
    ...(url ? { url } : {}),
  };
}

/**
 * Throws unless a Rekor v1 entry names the verification material the signature was checked with:
 * the certificate when there is one, else the public key. (Rekor v2 entries commit to it in the
 * leaf hash that the inclusion proof covers.)
 */
export function checkEntryKey(entry: TransparencyLogEntry, verifier: { readonly certificate?: Buffer; readonly publicKeyDer: Buffer }): void {
  if (isRekorV2(entry)) return;
  const pem = Buffer.from(bodyVerifier(entry) ?? '', 'base64').toString('utf8');
  const block = /-----BEGIN ([A-Z ]+)-----([^-]*)-----END \1-----/.exec(pem);
  const der = Buffer.from(block?.[2]?.replace(/\s+/g, '') ?? '', 'base64');
  let same = false;
  if (block?.[1] === 'CERTIFICATE') same = verifier.certificate?.equals(der) ?? false;
  else if (block && !verifier.certificate) {
    // The same SPKI bytes are the same key (the usual case: the signer's own PEM); other bytes may
    // still encode it, which parsing and exporting them tells.
    if (der.equals(verifier.publicKeyDer)) return;
    try {
      same = spki(createPublicKey({ key: der, format: 'der', type: 'spki' })).equals(verifier.publicKeyDer);
    } catch {
      same = false;
    }
  }
  if (!same) throw new CheckProblem(`the transparency log entry names another ${verifier.certificate ? 'certificate' : 'key'} than the signature's`);
}

function authorityOf(material: TrustMaterial, entry: TransparencyLogEntry): LogAuthority | undefined {
  const id = entry.logId?.keyId;
  return id ? material.tlogs.find((log) => log.logID.equals(id)) : undefined;
}

function isRekorV2(entry: TransparencyLogEntry): boolean {
  return entry.kindVersion?.version === '0.0.2' && entry.kindVersion.kind !== 'intoto';
}

type Body = {
  spec?: {
    signature?: { publicKey?: { content?: unknown } };
    signatures?: Array<{ verifier?: unknown }>;
    publicKey?: unknown;
    content?: { envelope?: { signatures?: Array<{ publicKey?: unknown }> } };
  };
};

/** The base64 PEM an entry's body gives as the verifier, per kind (Rekor v1 types). */
function bodyVerifier(entry: TransparencyLogEntry): string | undefined {
  let body: Body;
  try {
    body = JSON.parse(entry.canonicalizedBody.toString('utf8')) as Body;
  } catch {
    return undefined;
  }
  const spec = body?.spec;
  const byKind: Record<string, unknown> = {
    hashedrekord: spec?.signature?.publicKey?.content,
    dsse: spec?.signatures?.[0]?.verifier,
    intoto: entry.kindVersion?.version === '0.0.1' ? spec?.publicKey : spec?.content?.envelope?.signatures?.[0]?.publicKey,
  };
  const found = byKind[entry.kindVersion?.kind ?? ''];
  return typeof found === 'string' ? found : undefined;
}
