import { describe, expect, it } from 'vitest';
import { simpleSigningPayload } from './payload.ts';

const DIGEST = `sha256:${'b'.repeat(64)}`;

describe('simpleSigningPayload', () => {
  it('writes cosign\'s payload byte for byte', () => {
    expect(simpleSigningPayload('r.example/app', DIGEST).toString()).toBe(
      `{"critical":{"identity":{"docker-reference":"r.example/app"},"image":{"docker-manifest-digest":"${DIGEST}"},"type":"cosign container image signature"},"optional":null}`,
    );
  });

  it('puts -a annotations in optional', () => {
    expect(JSON.parse(simpleSigningPayload('r/app', DIGEST, { team: 'a' }).toString()).optional).toEqual({ team: 'a' });
  });
});
