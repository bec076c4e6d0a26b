// Recording a signature in a Rekor transparency log with @sigstore/sign's RekorWitness, and the
// shape cosign's legacy layout keeps the answer in: the `dev.sigstore.cosign/bundle` annotation
// (the signed entry timestamp, the canonical entry, its time, index and log id).
import type { Bundle, TransparencyLogEntry } from '@sigstore/bundle';
import { KubectlBuildError } from '../errors/index.ts';
import { commonJs, sigstoreServiceError } from './sigstore-errors.ts';

export const DEFAULT_REKOR_URL = 'https://rekor.sigstore.dev';

export interface TransparencyLogOptions {
  readonly url: string;
  /** Rekor's API: 1 (rekor.sigstore.dev) or 2 (tile-based logs). */
  readonly majorApiVersion?: 1 | 2;
  readonly timeoutMs?: number;
}

export type { TransparencyLogEntry };

/**
 * Starts loading the Sigstore libraries in the background (the CLI calls it before the build), so
 * that signing after the build does not wait for them: they are the larger part of its time.
 */
export function preloadTransparencyLog(): void {
  void Promise.all([import('@sigstore/sign'), import('@sigstore/bundle')]).catch(() => undefined);
}

/** Uploads what was signed (a hashedrekord for a message signature, a dsse entry for an envelope). */
export async function recordInLog(log: TransparencyLogOptions, content: Bundle['content'], verifierPem: string): Promise<TransparencyLogEntry> {
  const { RekorWitness } = commonJs(await import('@sigstore/sign'), 'RekorWitness');
  const witness = new RekorWitness({
    rekorBaseURL: log.url.replace(/\/+$/, ''),
    majorApiVersion: log.majorApiVersion ?? 1,
    timeout: log.timeoutMs ?? 30_000,
    retry: { retries: 2, factor: 2, minTimeout: 300, maxTimeout: 2000 },
  });
  try {
    const { tlogEntries } = await witness.testify(content, verifierPem);
    const entry = tlogEntries[0];
    if (!entry) throw new KubectlBuildError('SIGN_FAILED', `the transparency log at ${log.url} answered without an entry`, { hint: 'check --rekor-url' });
    return entry;
  } catch (error) {
    throw sigstoreServiceError(
      {
        service: `the transparency log at ${log.url}`,
        what: 'the signature',
        refusedHint: 'check --rekor-url; a key-signed image can be signed without the log with --tlog-upload=false',
        unreachableHint: 'check --rekor-url and the network; a key-signed image can be signed without the log with --tlog-upload=false',
        ...(log.timeoutMs === undefined ? {} : { timeoutMs: log.timeoutMs }),
      },
      error,
    );
  }
}

/** cosign's `dev.sigstore.cosign/bundle` annotation: needs a log that signs entry timestamps (Rekor v1). */
export function cosignBundleAnnotation(entry: TransparencyLogEntry, url: string): string {
  if (!entry.inclusionPromise) {
    throw new KubectlBuildError('SIGN_FAILED', `the transparency log at ${url} gave no signed entry timestamp, which legacy signatures carry`, {
      hint: 'use --signature-format bundle with this log, or a Rekor v1 log',
    });
  }
  return JSON.stringify({
    SignedEntryTimestamp: entry.inclusionPromise.signedEntryTimestamp.toString('base64'),
    Payload: {
      body: entry.canonicalizedBody.toString('base64'),
      integratedTime: Number(entry.integratedTime),
      logIndex: Number(entry.logIndex),
      logID: entry.logId.keyId.toString('hex'),
    },
  });
}
