// Our flag parsers, .dockerignore matcher and context walker against upstream's own code:
// hack/buildx-diff links docker/buildx v0.38.2 (util/buildflags, and pflag as buildx declares
// --add-host), moby/patternmatcher and tonistiigi/fsutil at the versions BuildKit v0.34.2 uses. Every
// corpus case must agree (both refuse, or both give the same value), or be one of our listed,
// documented refusals (buildx-parity/refusals.ts, docs/buildx-compatibility.md).
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseAddHosts } from '../pkg/build/flags/add-host.ts';
import { parseBuildArgs, parseLabels } from '../pkg/build/flags/key-values.ts';
import { runCli } from './harness/cli.ts';
import { tool } from '../hack/lib/paths.ts';
import { scratchDir, useBuildkitd } from './harness/index.ts';
import { compareCorpus, type KindTally } from './buildx-parity/compare.ts';
import { flagCases, ignoreCases, walkPatternSets, walkTree } from './buildx-parity/corpus.ts';
import { attestAnswers, ourAnswers, type AttestFlags } from './buildx-parity/ours.ts';
import { attestFrontendAttrs, parseAnnotations, parseAttests } from '../pkg/build/attest-flags.ts';
import { askUpstream, type PeerCase } from './buildx-parity/peer.ts';
import { DELIBERATE_REFUSALS } from './buildx-parity/refusals.ts';
import { ADD_HOST_RULES, BUILD_ARG_RULES, LABEL_RULES } from './buildx-parity/rules.ts';

// --attest/--provenance/--sbom/--annotation (pkg/build/attest-flags.ts), in the judge's shapes (AttestFlags).
function attestFlags(): AttestFlags {
  return {
    // buildx's Attests.ToMap: TYPE = the list sent to BuildKit (as attest:TYPE), or null for a disabled type.
    attest: (values, provenance, sbom) =>
      Object.fromEntries(
        parseAttests({ attest: values, provenance, sbom }).map((attest) => [attest.type, attest.disabled ? null : (attestFrontendAttrs([attest])[`attest:${attest.type}`] ?? null)]),
      ),
    // The exporter attributes back into buildx's AnnotationKey fields, sorted as the peer sorts them.
    annotation: (values) =>
      Object.entries(parseAnnotations(values))
        .map(([attr, value]) => {
          const match = /^annotation(?:-([a-z-]+)(?:\[([^\]]+)\])?)?\.(.*)$/s.exec(attr);
          if (!match) throw new Error(`unexpected annotation attribute ${attr}`);
          return { type: match[1] ?? '', platform: match[2] ?? '', key: match[3] ?? '', value };
        })
        .sort((a, b) => (a.type !== b.type ? (a.type < b.type ? -1 : 1) : a.platform !== b.platform ? (a.platform < b.platform ? -1 : 1) : a.key < b.key ? -1 : a.key > b.key ? 1 : 0)),
  };
}

function expectAllAgree(tally: KindTally | undefined): void {
  expect(tally, 'no cases of this kind were compared').toBeDefined();
  expect(tally?.disagreements ?? [], JSON.stringify(tally?.disagreements.slice(0, 5), null, 1)).toEqual([]);
}

describe('flag values, read as docker buildx reads them', () => {
  const cases = flagCases(150);
  let tallies: Record<string, KindTally> = {};
  beforeAll(async () => {
    const attest = attestAnswers(attestFlags());
    tallies = await compareCorpus(cases, await askUpstream(cases), { ...ourAnswers, ...attest });
  });

  it.each(['output', 'cache', 'secret', 'ssh'])('--%s: every corpus case agrees with util/buildflags', (kind) => {
    expectAllAgree(tallies[kind]);
  });

  it('--add-host: each value is split as pflag splits a StringSlice', () => {
    expectAllAgree(tallies.slice);
  });

  it('--attest, --provenance and --sbom agree with ParseAttests', () => {
    expectAllAgree(tallies.attest);
  });

  it('--annotation agrees with ParseAnnotations', () => {
    expectAllAgree(tallies.annotation);
  });
});

// buildx's own code for these is unexported (build.toBuildkitExtraHosts, commands.listToMap), in
// packages that pull in every driver: compared with the rule as documented, restated in rules.ts.
describe('flag values whose buildx parser is not exported, against the documented rule', () => {
  it.each(ADD_HOST_RULES)('--add-host %j', (values, expected) => {
    if (expected instanceof RegExp) expect(() => parseAddHosts(values)).toThrow(expected);
    else expect(parseAddHosts(values)).toBe(expected);
  });

  it.each(BUILD_ARG_RULES)('--build-arg %j', (values, expected) => {
    const env: Record<string, string> = { FROM_ENV: 'env-value', EMPTY_ENV: '' };
    if (expected instanceof RegExp) expect(() => parseBuildArgs(values, (key) => env[key])).toThrow(expected);
    else expect(parseBuildArgs(values, (key) => env[key])).toEqual(expected);
  });

  it.each(LABEL_RULES)('--label %j', (values, expected) => {
    if (expected instanceof RegExp) expect(() => parseLabels(values)).toThrow(expected);
    else expect(parseLabels(values)).toEqual(expected);
  });
});

describe('.dockerignore, read and matched as moby/patternmatcher does', () => {
  it('agrees on every pattern file and path: its test table, the documented forms, and generated ones', async () => {
    const cases = ignoreCases(400);
    const tallies = await compareCorpus(cases, await askUpstream(cases), ourAnswers);
    expectAllAgree(tallies.ignore);
  });
});

describe('the context walker, against fsutil filtered walk on the same tree', () => {
  it('sends the same paths, in the same order, for every exclude/include set', async () => {
    const root = scratchDir('walk');
    for (const [path, kind] of walkTree(60)) {
      if (kind === 'dir') mkdirSync(join(root, path), { recursive: true });
      else writeFileSync(join(root, path), path);
    }
    const cases: PeerCase[] = walkPatternSets(250).map((set) => ({ kind: 'walk', root, ...set }));
    const tallies = await compareCorpus(cases, await askUpstream(cases), ourAnswers);
    expectAllAgree(tallies.walk);
  });
});

describe('a context with a .dockerignore of escapes, classes and exceptions, built by kubectl build and by buildctl', () => {
  const buildkitd = useBuildkitd();

  it('puts the same files in the image', async () => {
    const context = scratchDir('ignore-context');
    for (const path of ['[x]', 'x', 'a-b', 'abb', '-', 'docs/a.md', 'docs/keep.txt', 'src/main.go', 'src/main_test.go', 'weird\\name', '#hash', 'keep/me']) {
      mkdirSync(join(context, path, '..'), { recursive: true });
      writeFileSync(join(context, path), path);
    }
    writeFileSync(join(context, 'Dockerfile'), 'FROM scratch\nCOPY . /ctx/\n');
    writeFileSync(join(context, '.dockerignore'), '\\[x\\]\n[a\\-]-b\ndocs\n!docs/keep.txt\n**/*_test.go\nweird\\\\name\n\\#hash\n*\n!keep\n!src\n!docs\n!x\n!Dockerfile\n');
    const out = scratchDir('ignore-out');
    const ours = await runCli('kubectl-build', ['--progress=plain', '--no-cache', '-o', `type=tar,dest=${join(out, 'ours.tar')}`, context], {
      env: { BUILDKIT_HOST: buildkitd().address },
    });
    expect(ours.status, ours.stderr).toBe(0);
    execFileSync(tool('buildctl'), ['--addr', buildkitd().address, 'build', '--no-cache', '--frontend', 'dockerfile.v0', '--local', `context=${context}`,
      '--local', `dockerfile=${context}`, '--output', `type=tar,dest=${join(out, 'theirs.tar')}`], { stdio: 'pipe' });
    const list = (file: string) => execFileSync('tar', ['-tf', join(out, file)], { encoding: 'utf8' }).split('\n').filter(Boolean).sort();
    expect(list('ours.tar')).toEqual(list('theirs.tar'));
    expect(list('ours.tar')).toContain('ctx/docs/keep.txt');
    expect(list('ours.tar')).not.toContain('ctx/[x]');
  });
});

describe('bad input is refused before anything connects, in one sentence naming the flag and the value', () => {
  const refusals: Array<[string[], RegExp]> = [
    [['--output', 'type=local,dest="a,b"'], /--output "type=local,dest="a,b""/],
    [['--output', 'type=local,dest=-'], /--output "type=local,dest=-"/],
    [['--output', 'type=local,dest'], /--output "type=local,dest": "dest" is not key=value/],
    [['--output', 'push=true,name=x'], /--output "push=true,name=x": it names no type/],
    [['--output', 'type=docker'], /--output "type=docker": type=docker without dest/],
    [['--output', 'type=oci,tar=false,dest=d'], /--output "type=oci,tar=false,dest=d": tar=false needs a client-side content store/],
    [['--output', 'type=tar,dest=/tmp'], /--output "type=tar,dest=\/tmp": the destination \/tmp is a folder/],
    [['--output', 'type=local,dest=/etc/passwd'], /--output "type=local,dest=\/etc\/passwd": the destination \/etc\/passwd is a file/],
    [['--iidfile', '/tmp/iid', '--output', 'type=tar,dest=x.tar'], /--output "type=tar,dest=x.tar": a local or tar output has no image ID/],
    [['--output', 'type=cloud,dest=x'], /--output "type=cloud,dest=x": the type "cloud"/],
    [['--secret', 'id=a,src=/nonexistent/secret'], /--secret "id=a,src=\/nonexistent\/secret": the file \/nonexistent\/secret cannot be read/],
    [['--ssh', 'k=/nonexistent/key'], /--ssh "k=\/nonexistent\/key": there is no agent socket or key file/],
    [['--cache-from', 'type=registry,ref=r/a,'], /--cache-from "type=registry,ref=r\/a,"/],
    [['--cache-to', 'test=test'], /--cache-to "test=test": it names no type/],
    [['--secret', 'id=a,path=b'], /--secret "id=a,path=b"/],
    [['--secret', 'src=./x'], /--secret "src=.\/x": it has no id/],
    [['--ssh', 'a=/k1', '--ssh', 'a=/k2'], /--ssh "a=\/k2": the ID "a" is given twice/],
    [['--add-host', 'h=host-gateway'], /--add-host "h=host-gateway"/],
    [['--add-host', 'h=999.1.1.1'], /--add-host "h=999.1.1.1"/],
    [['--build-arg', '=x'], /--build-arg "=x": its key is empty/],
    [['--label', '=x'], /--label "=x"/],
  ];
  it.each(refusals)('%j', async (args, message) => {
    const context = scratchDir('bad-input');
    writeFileSync(join(context, 'Dockerfile'), 'FROM scratch\n');
    // A daemon address nobody listens on: reaching for it would fail differently, and later.
    const result = await runCli('kubectl-build', [...args, context], { env: { BUILDKIT_HOST: 'tcp://127.0.0.1:1' } });
    expect(result.status, result.stderr).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).not.toMatch(/127\.0\.0\.1:1|connect|ECONNREFUSED/);
  });

  it('refuses a .dockerignore pattern Docker refuses, naming the file and the pattern', async () => {
    const context = scratchDir('bad-ignore');
    writeFileSync(join(context, 'Dockerfile'), 'FROM scratch\n');
    writeFileSync(join(context, '.dockerignore'), 'ok\n[unclosed\n');
    const result = await runCli('kubectl-build', [context], { env: { BUILDKIT_HOST: 'unix:///nonexistent/buildkitd.sock' } });
    expect(result.status, result.stderr).toBe(2);
    expect(result.stderr).toMatch(/\.dockerignore has a pattern Docker refuses: invalid pattern "\[unclosed"/);
  });
});

describe('the deliberate refusals', () => {
  it('are each documented in docs/buildx-compatibility.md', () => {
    const doc = readFileSync('docs/buildx-compatibility.md', 'utf8');
    for (const refusal of DELIBERATE_REFUSALS) expect(doc, refusal.id).toContain(`\`${refusal.id}\``);
  });
});
