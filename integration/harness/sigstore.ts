// A private Sigstore (OIDC issuer, Fulcio with a CT log, Rekor v1) for keyless signing tests:
//
//   const sigstore = useSigstore();
//   it('...', async () => { await sigstore().token(); sigstore().trustedRootPath; });
import { startSigstore, type SigstoreOptions, type SigstoreServices } from '../../hack/lib/sigstore.ts';
import { declareService, type Handle } from './index.ts';

export type { SigstoreServices } from '../../hack/lib/sigstore.ts';

export function useSigstore(options: SigstoreOptions = {}): Handle<SigstoreServices> {
  return declareService('sigstore', (dir, track) => startSigstore(dir, track, options));
}
