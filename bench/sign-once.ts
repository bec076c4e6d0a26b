// One signing of a pushed image by kubectl-build's own code, in a fresh process as the CLI runs it
// (start-up, module loading, key decryption, sign, store): the counterpart of one `cosign sign`.
// Usage: node bench/sign-once.ts KEY IMAGE@DIGEST (COSIGN_PASSWORD and DOCKER_CONFIG from the env).
import { dockerConfigCredentials } from '../pkg/registry/docker-config.ts';
import { RegistryClient } from '../pkg/registry/client.ts';
import { parseReference } from '../pkg/registry/reference.ts';
import { loadSigner, signPushed } from '../pkg/sign/index.ts';

const [key, image] = process.argv.slice(2) as [string, string];
const reference = parseReference(image);
const signer = await loadSigner(key, { password: async () => process.env.COSIGN_PASSWORD ?? '', env: (name) => process.env[name] });
await signPushed({
  client: new RegistryClient({ credentials: dockerConfigCredentials(process.env.DOCKER_CONFIG as string) }),
  credential: { signer },
  images: [reference],
  digests: [reference.digest as string],
  annotations: {},
  format: 'legacy',
});
