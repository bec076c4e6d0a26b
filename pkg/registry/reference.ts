// Image references as docker reads them: [host[:port]/]repository[:tag][@digest], with Docker Hub's
// defaults (docker.io, library/) for names without a registry host.
import { KubectlBuildError } from '../errors/index.ts';

export interface ImageReference {
  /** Registry host as used on the wire ("registry-1.docker.io" for Docker Hub). */
  readonly registry: string;
  readonly repository: string;
  readonly tag?: string;
  readonly digest?: string;
}

const DIGEST = /^sha256:[0-9a-f]{64}$/;

export function parseReference(text: string): ImageReference {
  const invalid = () => new KubectlBuildError('USAGE', `invalid image reference "${text}"`, { hint: 'use REGISTRY/REPOSITORY[:TAG][@sha256:DIGEST]' });
  let rest = text;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at !== -1) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) throw invalid();
  }
  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > lastSlash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!/^[\w][\w.-]{0,127}$/.test(tag)) throw invalid();
  }
  const first = rest.split('/')[0] ?? '';
  const hasHost = rest.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost');
  let registry = hasHost ? first : 'docker.io';
  let repository = hasHost ? rest.slice(first.length + 1) : rest;
  if (registry === 'docker.io' || registry === 'index.docker.io') {
    registry = 'registry-1.docker.io';
    if (!repository.includes('/')) repository = `library/${repository}`;
  }
  if (!/^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$/.test(repository)) throw invalid();
  return { registry, repository, ...(tag ? { tag } : {}), ...(digest ? { digest } : {}) };
}

/** The reference cosign signs as docker-reference: registry/repository, Docker Hub as index.docker.io. */
export function repositoryName(reference: ImageReference): string {
  const host = reference.registry === 'registry-1.docker.io' ? 'index.docker.io' : reference.registry;
  return `${host}/${reference.repository}`;
}

export function formatReference(reference: ImageReference): string {
  return `${repositoryName(reference)}${reference.tag ? `:${reference.tag}` : ''}${reference.digest ? `@${reference.digest}` : ''}`;
}

/**
 * The full name container runtimes store an image under (docker.io/library/app:latest for app), as
 * the kubelet asks for it: images loaded into a node must carry it, or `imagePullPolicy: Never`
 * finds nothing.
 */
export function normalizedName(text: string): string {
  const reference = parseReference(text);
  const registry = reference.registry === 'registry-1.docker.io' ? 'docker.io' : reference.registry;
  const tag = reference.tag ?? (reference.digest ? undefined : 'latest');
  return `${registry}/${reference.repository}${tag ? `:${tag}` : ''}${reference.digest ? `@${reference.digest}` : ''}`;
}
