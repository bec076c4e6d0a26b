// cosign's "simple signing" payload, byte for byte as cosign writes it (key order included): what
// a legacy signature signs. cosign verify checks the digest and the annotations in it.

export function simpleSigningPayload(dockerReference: string, digest: string, annotations: Readonly<Record<string, string>> = {}): Buffer {
  const payload = {
    critical: {
      identity: { 'docker-reference': dockerReference },
      image: { 'docker-manifest-digest': digest },
      type: 'cosign container image signature',
    },
    optional: Object.keys(annotations).length > 0 ? annotations : null,
  };
  return Buffer.from(JSON.stringify(payload));
}
