// A private Sigstore (OIDC issuer, Fulcio with a CT log, Rekor v1) for keyless signing tests:
//
//   const sigstore = useSigstore();
//   it('...', async () => { await sigstore().token(); sigstore().trustedRootPath; });
import { readFileSync } from 'node:fs';
import { startSigstore, type SigstoreOptions, type SigstoreServices } from '../../hack/lib/sigstore.ts';
import { declareService, type Handle } from './index.ts';

export type { SigstoreServices } from '../../hack/lib/sigstore.ts';

export function useSigstore(options: SigstoreOptions = {}): Handle<SigstoreServices> {
  return declareService('sigstore', (dir, track) => startSigstore(dir, track, options));
}

/** kubectl build's flags that point every Sigstore service at these. */
export function sigstoreFlags(services: SigstoreServices): string[] {
  return ['--fulcio-url', services.fulcioUrl, '--rekor-url', services.rekorUrl, '--oidc-issuer', services.issuerUrl, '--oidc-client-id', services.clientId];
}

/** cosign verify's flags for a keyless signature by the test identity, trusting these services. */
export function keylessVerifyFlags(services: SigstoreServices): string[] {
  // Without a CT log in the local trusted root, certificates carry no SCT for cosign to check.
  const root = JSON.parse(readFileSync(services.trustedRootPath, 'utf8')) as { ctlogs?: unknown[] };
  const sct = (root.ctlogs ?? []).length > 0 ? [] : ['--insecure-ignore-sct'];
  return ['--certificate-identity', services.identity, '--certificate-oidc-issuer', services.issuerUrl, '--trusted-root', services.trustedRootPath, ...sct];
}
