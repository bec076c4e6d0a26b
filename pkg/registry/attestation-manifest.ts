// BuildKit's attestation manifests: stored inside an image index next to the platform images, with
// the platform unknown/unknown and annotations naming the image they describe. They are never a
// platform: not listed, signed or reported as one.

export const REFERENCE_TYPE = 'vnd.docker.reference.type';
export const REFERENCE_DIGEST = 'vnd.docker.reference.digest';
export const ATTESTATION_MANIFEST = 'attestation-manifest';
/** The in-toto layers of an attestation manifest, and the annotation naming each one's predicate. */
export const IN_TOTO_LAYER = 'application/vnd.in-toto+json';
export const PREDICATE_TYPE_ANNOTATION = 'in-toto.io/predicate-type';

export interface IndexEntry {
  readonly mediaType: string;
  readonly digest: string;
  readonly size: number;
  readonly platform?: { readonly architecture: string; readonly os: string; readonly variant?: string };
  readonly annotations?: Readonly<Record<string, string>>;
}

/** An attestation manifest, by its annotation or (from other tools) by its unknown/unknown platform. */
export function isAttestationManifest(entry: Pick<IndexEntry, 'platform' | 'annotations'>): boolean {
  return entry.annotations?.[REFERENCE_TYPE] === ATTESTATION_MANIFEST || (entry.platform?.os === 'unknown' && entry.platform.architecture === 'unknown');
}

/** "linux/arm/v7" from an entry's platform. */
export function platformName(platform: NonNullable<IndexEntry['platform']>): string {
  return [platform.os, platform.architecture, ...(platform.variant ? [platform.variant] : [])].join('/');
}
