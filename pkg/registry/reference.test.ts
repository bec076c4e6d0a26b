import { describe, expect, it } from 'vitest';
import { normalizedName, parseReference, repositoryName } from './reference.ts';

const DIGEST = `sha256:${'a'.repeat(64)}`;

describe('parseReference', () => {
  it('reads host, port, repository, tag and digest', () => {
    expect(parseReference(`127.0.0.1:5000/team/app:1.2@${DIGEST}`)).toEqual({
      registry: '127.0.0.1:5000',
      repository: 'team/app',
      tag: '1.2',
      digest: DIGEST,
    });
    expect(parseReference('localhost/app')).toEqual({ registry: 'localhost', repository: 'app' });
  });

  it('applies Docker Hub defaults', () => {
    expect(parseReference('busybox')).toEqual({ registry: 'registry-1.docker.io', repository: 'library/busybox' });
    expect(parseReference('docker.io/org/app:v1')).toEqual({ registry: 'registry-1.docker.io', repository: 'org/app', tag: 'v1' });
    expect(repositoryName(parseReference('busybox'))).toBe('index.docker.io/library/busybox');
  });

  it('refuses what is not a reference', () => {
    for (const bad of ['', 'Upper/Case', 'r.example/app@sha256:short', 'r.example/app:bad tag']) {
      expect(() => parseReference(bad)).toThrow(/invalid image reference/);
    }
  });

  it('gives the full name a container runtime stores an image under', () => {
    expect(normalizedName('app')).toBe('docker.io/library/app:latest');
    expect(normalizedName('team/app:1')).toBe('docker.io/team/app:1');
    expect(normalizedName('10.244.0.1:5000/app')).toBe('10.244.0.1:5000/app:latest');
    expect(normalizedName(`r.example/app@${DIGEST}`)).toBe(`r.example/app@${DIGEST}`);
  });
});
