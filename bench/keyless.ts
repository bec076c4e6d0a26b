// Keyless signing as a user feels it, on local Sigstore services (our OIDC issuer, Fulcio, Rekor):
// a cached build pushed and signed keylessly, `kubectl build --push --sign` (the shipped executable,
// the token in SIGSTORE_ID_TOKEN) against `buildctl build --push` followed by `cosign sign` with the
// same identity token and the same Fulcio and Rekor; in the legacy .sig layout (cosign v3 told the
// services by flag) and as a Sigstore bundle (cosign v3 through the signing config). Plus the same
// build pushed without signing on both sides: the differences are what keyless signing adds (ours
// asks Fulcio for its certificate while the build runs). Same buildkitd, build cache and registry.
// BENCH_RUNS (default 5).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tool } from '../hack/lib/paths.ts';
import { stopProcess, type ServiceProcess } from '../hack/lib/process.ts';
import { startSigstore } from '../hack/lib/sigstore.ts';
import { signingAdds, startBuildPush, unsignedCases, unsignedRow } from './lib/build-push.ts';
import { inSequence, measure } from './lib/process.ts';
import { benchRuns, interleaved } from './lib/runs.ts';
import { printCommands, printComparison } from './lib/table.ts';

const RUNS = benchRuns(5);
const work = mkdtempSync(join(tmpdir(), 'kb-bench-keyless-'));
const services: ServiceProcess[] = [];
try {
  const bench = await startBuildPush(work, services);
  const sigstore = await startSigstore(join(work, 'sigstore'), (service) => services.push(service));
  // One token for every run of both sides, valid for longer than the benchmark takes.
  const token = await sigstore.token({ expiresInSeconds: 6 * 3600 });
  const tokenFile = join(work, 'id-token');
  writeFileSync(tokenFile, token, { mode: 0o600 });
  const ourServices = ['--fulcio-url', sigstore.fulcioUrl, '--rekor-url', sigstore.rekorUrl, '--oidc-issuer', sigstore.issuerUrl];
  const cosignLegacy = ['sign', '--yes', '--identity-token', tokenFile, '--use-signing-config=false', '--new-bundle-format=false',
    '--fulcio-url', sigstore.fulcioUrl, '--rekor-url', sigstore.rekorUrl, '--trusted-root', sigstore.trustedRootPath];
  const cosignBundle = ['sign', '--yes', '--identity-token', tokenFile, '--signing-config', sigstore.signingConfigPath as string, '--trusted-root', sigstore.trustedRootPath];
  const cosign = (args: readonly string[], repository: string) => () =>
    inSequence(() => bench.buildctlBuild(repository), () => measure(tool('cosign-v3'), [...args, bench.buildctlPushed(repository)], { env: bench.env, cwd: work }));
  const ours = (repository: string, extra: readonly string[]) => () =>
    bench.kubectlBuild(repository, ['--sign', ...extra, ...ourServices], { SIGSTORE_ID_TOKEN: token });

  const samples = await interleaved(RUNS, {
    ...unsignedCases(bench),
    'ours legacy': ours('legacy/ours', []),
    'cosign legacy': cosign(cosignLegacy, 'legacy/anchor'),
    'ours bundle': ours('bundle/ours', ['--signature-format', 'bundle']),
    'cosign bundle': cosign(cosignBundle, 'bundle/anchor'),
  });
  const side = (label: string, name: string) => ({ label, samples: samples[name] ?? [] });
  printComparison('keyless: a cached build of a small image, pushed to a local registry (auth), signed keylessly with one identity token on a local Fulcio and Rekor', RUNS, [
    unsignedRow(samples),
    {
      what: 'build + push + keyless, legacy .sig',
      ours: side('`kubectl build --push --sign`', 'ours legacy'),
      anchor: side('`buildctl build --push` then `cosign sign` (v3, legacy)', 'cosign legacy'),
    },
    {
      what: 'build + push + keyless, bundle',
      ours: side('`kubectl build --push --sign --signature-format bundle`', 'ours bundle'),
      anchor: side('`buildctl build --push` then `cosign sign` (v3, bundle)', 'cosign bundle'),
    },
  ], 's');
  console.log(`\nkeyless signing adds (difference of the medians): legacy: ours ${signingAdds(samples, 'ours legacy', 'ours')}, cosign ${signingAdds(samples, 'cosign legacy', 'anchor')}; ` +
    `bundle: ours ${signingAdds(samples, 'ours bundle', 'ours')}, cosign ${signingAdds(samples, 'cosign bundle', 'anchor')}`);
  printCommands(work, [
    ...bench.commands(),
    `SIGSTORE_ID_TOKEN=... kubectl build ... --sign [--signature-format bundle] ${ourServices.join(' ')}`,
    `cosign ${cosignLegacy.join(' ')} IMAGE@DIGEST`,
    `cosign ${cosignBundle.join(' ')} IMAGE@DIGEST`,
  ]);
} finally {
  for (const service of services.reverse()) await stopProcess(service);
  rmSync(work, { recursive: true, force: true });
}
