// Small images of random content pushed straight to a test registry (no build needed): each call
// gives a new digest, so every case signs and verifies an image of its own. Also image indexes over
// such images, with their platforms, for multi-arch cases.
import { randomBytes } from 'node:crypto';
import { dockerConfigCredentials } from '../../pkg/registry/docker-config.ts';
import { OCI_INDEX, OCI_MANIFEST, RegistryClient } from '../../pkg/registry/client.ts';
import type { TestRegistry } from './index.ts';

export function registryClient(registry: TestRegistry): RegistryClient {
  return new RegistryClient({ credentials: dockerConfigCredentials(registry.files.dockerConfigDir) });
}

export interface PushedImage {
  /** host/repository:tag */
  readonly tag: string;
  /** host/repository@sha256:... */
  readonly byDigest: string;
  readonly digest: string;
}

/** A one-layer OCI image of random bytes under repository:tag. */
export async function pushRandomImage(registry: TestRegistry, repository: string, tag: string, platform = { os: 'linux', architecture: 'amd64' }): Promise<PushedImage> {
  const client = registryClient(registry);
  const layer = randomBytes(64);
  const layerDigest = await client.pushBlob(registry.host, repository, layer);
  const config = Buffer.from(JSON.stringify({ ...platform, rootfs: { type: 'layers', diff_ids: [layerDigest] }, config: {} }));
  const configDigest = await client.pushBlob(registry.host, repository, config);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', size: config.length, digest: configDigest },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', size: layer.length, digest: layerDigest }],
    }),
  );
  const digest = await client.putManifest(registry.host, repository, tag, manifest, OCI_MANIFEST);
  return { tag: `${registry.host}/${repository}:${tag}`, byDigest: `${registry.host}/${repository}@${digest}`, digest };
}

/** An OCI index over one random image per platform, under repository:tag; returns it and its children. */
export async function pushRandomIndex(registry: TestRegistry, repository: string, tag: string): Promise<{ index: PushedImage; children: PushedImage[] }> {
  const platforms = [
    { os: 'linux', architecture: 'amd64' },
    { os: 'linux', architecture: 'arm64' },
  ];
  const children = await Promise.all(platforms.map((platform, n) => pushRandomImage(registry, repository, `${tag}-child-${n}`, platform)));
  const client = registryClient(registry);
  const manifests = await Promise.all(
    children.map(async (child, n) => {
      const body = (await client.getManifest(registry.host, repository, child.digest))?.body as Buffer;
      return { mediaType: OCI_MANIFEST, size: body.length, digest: child.digest, platform: platforms[n] };
    }),
  );
  const index = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests }));
  const digest = await client.putManifest(registry.host, repository, tag, index, OCI_INDEX);
  return { index: { tag: `${registry.host}/${repository}:${tag}`, byDigest: `${registry.host}/${repository}@${digest}`, digest }, children };
}
