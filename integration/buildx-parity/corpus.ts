// The corpus both sides answer: upstream's own test tables restated as our data (inputs only; the
// judge gives the expected answer), the documented examples of each flag, and generated values
// (random mixes of quoting, commas, escapes, case, spaces and missing values, from a fixed seed so
// that a disagreement is reproducible).
import type { PeerCase } from './peer.ts';

/** A deterministic generator (mulberry32): the same corpus on every run. */
export function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pick<T>(next: () => number, items: readonly T[]): T {
  return items[Math.floor(next() * items.length)] as T;
}

const DOCUMENTED: Record<string, string[][]> = {
  output: [['type=local,dest=out'], ['./out'], ['-'], ['type=tar,dest=out.tar'], ['type=tar'], ['type=oci,dest=image.tar'], ['type=docker,dest=image.tar'],
    ['type=image,name=r.example/app:1,push=true'], ['type=registry'], ['type=image,"name=r.example/a:1,r.example/a:2",push=true'], ['type=oci,tar=false,dest=dir'],
    ['type=local,dest=out', 'type=tar,dest=-'], ['dest=out'], ['Type=local,DEST=out'], [' type =local,dest=out'], ['type=local,dest="a,b"'], ['"dest=a,b",type=local'],
    ['type=local,dest=out,'], ['type=local,,dest=out'], ['type='], ['name=x'], [''], ['type=image,name=x,annotation.org.opencontainers.image.title=t']],
  cache: [['user/app:cache'], ['type=registry,ref=user/app:cache'], ['type=local,src=path/to/dir'], ['type=local,dest=path/to/dir,mode=max'], ['type=inline'],
    ['type=gha'], ['type=gha,scope=main,mode=max'], ['type=s3,region=eu-west-1,bucket=b'], ['type=azblob,name=n,account_url=https://a.blob'],
    ['r/a:cache,r/b:cache'], ['r/a:cache,'], [',r/a:cache'], ['"r/a:cache"'], ['test=test'], ['ref1'], ['TYPE=registry,REF=r/a'], ['type=registry,ref="r/a"'], ['']],
  secret: [['id=mysecret,src=/local/secret'], ['id=mysecret2,env=TOKEN'], ['id=mysecret'], ['type=env,id=TOKEN'], ['type=env,id=TOKEN,src=GH_TOKEN'],
    ['type=env,id=TOKEN,env=GH_TOKEN'], ['type=file,id=a,source=./a'], ['id=a,path=b'], ['type=ssh,id=a'], ['src=./x'], ['mysecret'], ['ID=a,SRC=b'],
    ['id=a,src=b,'], ['id="a,b"'], [''], ['id=a', 'id=a,src=c']],
  ssh: [['default'], ['key=path/to/key'], ['default=$SSH_AUTH_SOCK'], ['k=a,b'], ['=a'], ['k='], ['k=a,,b'], ['a=b=c'], [''], ['default', 'key=path/to/key']],
  slice: [['db:10.0.0.5'], ['db=10.0.0.5,cache=10.0.0.6'], ['"h=10.0.0.1,10.0.0.2"'], ['a=1.1.1.1,'], ['"unclosed'], ['a"b=1.1.1.1'], ['']],
  attest: [['type=sbom'], ['type=provenance,mode=max'], ['type=sbom,disabled=true'], ['type=sbom,generator=image'], ['mode=max'], ['type=sbom,disabled=maybe'],
    ['type=sbom,ENV1="foo,bar"'], ['"type=sbom,ENV1=foo,bar"'], ['type=sbom', 'type=sbom,disabled=true'], ['']],
  annotation: [['foo=bar'], ['index:foo=bar'], ['manifest[linux/amd64]:foo=bar'], ['index,manifest:foo=bar'], ['manifest-descriptor:a=b'], ['index-descriptor:a=b'],
    ['bogus:foo=bar'], ['foo'], ['manifest[linux/amd64/v8]:a=b'], ['manifest[not a platform]:a=b'], ['a=b=c'], ['']],
};

/** Attestation cases with --provenance / --sbom given as buildx takes them (a boolean or a list). */
const ATTEST_SHORTHANDS: Array<Pick<PeerCase, 'provenance' | 'sbom'>> = [
  { provenance: 'true' }, { provenance: 'false' }, { provenance: 'mode=max' }, { provenance: '1' }, { sbom: 'true' }, { sbom: 'generator=img' }, { provenance: 'mode=min', sbom: 'false' },
];

// Pieces the generator combines into flag values.
const KEYS: Record<string, string[]> = {
  output: ['type', 'dest', 'name', 'push', 'tar', 'Type', ' type', 'DEST', 'compression', ''],
  cache: ['type', 'ref', 'mode', 'src', 'dest', 'TYPE', 'Ref', ' type', 'scope', ''],
  secret: ['type', 'id', 'src', 'source', 'env', 'ID', 'Env', 'path', ''],
  attest: ['type', 'disabled', 'mode', 'generator', 'Type', ' type ', 'DISABLED', ''],
};
const VALUES: Record<string, string[]> = {
  output: ['local', 'tar', 'oci', 'image', 'registry', 'out', '-', '', 'true', 'false', 'a b'],
  cache: ['registry', 'local', 'gha', 'inline', 'r/app:cache', 'max', 'min', '', 'dir'],
  secret: ['file', 'env', 'TOKEN', './s.txt', '', 'ssh', 'a b'],
  attest: ['sbom', 'provenance', 'true', 'false', 'max', '', 'maybe', '1'],
};

function generatedValue(next: () => number, kind: string): string {
  const fields: string[] = [];
  const count = 1 + Math.floor(next() * 4);
  for (let i = 0; i < count; i++) {
    const shape = next();
    const key = pick(next, KEYS[kind] as string[]);
    const value = pick(next, VALUES[kind] as string[]);
    if (shape < 0.55) fields.push(`${key}=${value}`);
    else if (shape < 0.65) fields.push(`"${key}=${value},${pick(next, VALUES[kind] as string[])}"`);
    else if (shape < 0.72) fields.push(`${key}="${value}"`);
    else if (shape < 0.8) fields.push(key);
    else if (shape < 0.86) fields.push('');
    else if (shape < 0.92) fields.push(`"${key}=${value}""x"""`);
    else fields.push(`${key}=${value}=${value}`);
  }
  return fields.join(',');
}

const REFS = ['r/app:cache', 'user/app', 'localhost:5000/a', '"r/q,x"', 'a"b', ''];
const HOSTS = ['db', 'h', 'my-host', '', 'a.b'];
const IPS = ['10.0.0.5', '::1', '[::1]', '[2001:db8::1]', '2001:db8::1', '999.1.1.1', '010.0.0.1', 'fe80::1%eth0', '[10.0.0.5]', 'host-gateway', '', '1.2.3.4,5.6.7.8'];

/** Every flag case, documented and generated, as peer cases with unique ids. */
export function flagCases(generatedPerKind: number): PeerCase[] {
  const cases: PeerCase[] = [];
  for (const [kind, list] of Object.entries(DOCUMENTED)) list.forEach((values, i) => cases.push({ id: `${kind}/doc/${i}`, kind, values }));
  ATTEST_SHORTHANDS.forEach((shorthand, i) => cases.push({ id: `attest/shorthand/${i}`, kind: 'attest', values: [], ...shorthand }));
  const next = random(14);
  for (const kind of ['output', 'cache', 'secret', 'attest']) {
    for (let i = 0; i < generatedPerKind; i++) cases.push({ id: `${kind}/gen/${i}`, kind, values: [generatedValue(next, kind)] });
  }
  for (let i = 0; i < generatedPerKind; i++) {
    cases.push({ id: `cache/gen-refs/${i}`, kind: 'cache', values: [Array.from({ length: 1 + Math.floor(next() * 3) }, () => pick(next, REFS)).join(',')] });
    const id = pick(next, ['default', 'key', '', 'a=b']);
    const paths = Array.from({ length: Math.floor(next() * 3) }, () => pick(next, ['k', '', '/p/a', 'x,y']));
    cases.push({ id: `ssh/gen/${i}`, kind: 'ssh', values: [paths.length > 0 || next() < 0.3 ? `${id}=${paths.join(',')}` : id] });
    cases.push({ id: `slice/gen/${i}`, kind: 'slice', values: [addHostValue(next)] });
  }
  return cases;
}

/** One --add-host value: host, a separator, one or more addresses, sometimes quoted as a list. */
export function addHostValue(next: () => number): string {
  const entry = () => `${pick(next, HOSTS)}${pick(next, ['=', ':', '', '=='])}${pick(next, IPS)}`;
  const value = Array.from({ length: 1 + Math.floor(next() * 2) }, entry).join(',');
  return next() < 0.2 ? `"${value}"` : value;
}

// --- .dockerignore ---------------------------------------------------------------------------
/** patternmatcher's own test table, restated: [patterns, path]. */
export const PATTERN_FACTS: Array<[string[], string]> = [
  [['*'], 'fileutils.go'], [['*.go'], 'fileutils.go'], [['!fileutils.go', '*.go'], 'fileutils.go'], [['docs', '!docs/README.md'], 'docs/README.md'],
  [['docs/', '!docs/README.md'], 'docs/README.md'], [['docs/*', '!docs/README.md'], 'docs/README.md'], [['*.go', '!fileutils.go'], 'fileutils.go'], [['!'], 'fileutils.go'],
  [['['], 'any/path/there'], [['**'], 'file'], [['**/'], 'file'], [['**'], 'dir/file'], [['**/**'], 'dir/file'], [['dir/**'], 'dir/file'], [['dir/**'], 'dir/dir2/file'],
  [['**/dir'], 'dir'], [['**/dir'], 'dir/file'], [['**/dir2/*'], 'dir/dir2/file'], [['**/dir2/**'], 'dir/dir2/dir3/file'], [['**file'], 'file'], [['**file'], 'dir/file'],
  [['**/file'], 'dir/file'], [['**file'], 'dir/dir/file'], [['**/file*'], 'dir/dir/file.txt'], [['**/file*txt'], 'dir/dir/file.txt'], [['**/file*.txt*'], 'dir/dir/file.txt'],
  [['**/**/*.txt'], 'dir/dir/file.txt'], [['**/**/*.txt2'], 'dir/dir/file.txt'], [['**/*.txt'], 'file.txt'], [['**/**/*.txt'], 'file.txt'], [['a**/*.txt'], 'a/file.txt'],
  [['a**/*.txt'], 'a/dir/dir/file.txt'], [['a/*.txt'], 'a/dir/file.txt'], [['a/*.txt'], 'a/file.txt'], [['a/*.txt**'], 'a/file.txt'], [['a[b-d]e'], 'ae'], [['a[b-d]e'], 'ace'],
  [['a[^b-d]e'], 'aze'], [['.*'], '.foo'], [['.*'], 'foo'], [['abc.def'], 'abcdef'], [['abc.def'], 'abc.def'], [['abc?def'], 'abcZdef'], [['abc?def'], 'abcdef'],
  [['a\\\\'], 'a\\'], [['**/foo/bar'], 'foo/bar'], [['**/foo/bar'], 'dir/dir2/foo/bar'], [['abc/**'], 'abc'], [['abc/**'], 'abc/def/ghi'], [['**/.foo'], '.foo'],
  [['**/.foo'], 'bar.foo'], [['a(b)c/def'], 'a(b)c/def'], [['a(b)c/def'], 'a(b)c/xyz'], [['a.|)$(}+{bc'], 'a.|)$(}+{bc'],
  [['dist/*.whl'], 'dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl'], [['**', '!util/docker/web'], 'util/docker/web/foo'],
  [['**', '!util/docker/web', 'util/docker/web/foo'], 'util/docker/web/foo'], [['**', '!dist/*.whl'], 'dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl'],
  [['a\\*b'], 'a*b'], [['docs', '  !docs/README.md'], 'docs/README.md'], [['docs', '!docs/README.md  '], 'docs/README.md'],
  [['a*'], 'ab/c'], [['a*/b'], 'a/c/b'], [['a*b*c*d*e*/f'], 'axbxcxdxexxx/f'], [['a*b?c*x'], 'abxbbxdbxebxczzx'], [['ab[^e-g]'], 'abc'], [['a?b'], 'a☺b'],
  [['a[^a]b'], 'a☺b'], [['a???b'], 'a☺b'], [['[a-ζ]*'], 'α'], [['*[a-ζ]'], 'A'], [['a?b'], 'a/b'], [['[\\]a]'], ']'], [['[\\-]'], '-'], [['[x\\-]'], '-'],
  [['[\\-x]'], 'a'], [['[]a]'], ']'], [['[-]'], '-'], [['[x-]'], 'x'], [['[-x]'], 'x'], [['\\'], 'a'], [['[a-b-c]'], 'a'], [['[^'], 'a'], [['[^bc'], 'a'], [['a['], 'ab'],
  [['*x'], 'xxx'],
];

/** The documented .dockerignore forms and the escapes, classes and invalid forms the issue names. */
export const IGNORE_EXAMPLES: string[] = [
  '# comment\n*/temp*\n*/*/temp*\ntemp?', '*.md\n!README*.md\nREADME-secret.md', '**/*.go', '/secret\n./build/', 'dir/\n', '!', '!  ', '[a\\]b]x', '[\\[]x', '[a\\-c]x',
  '[!a]x', '[^a]x', '\\[x', 'x\\', '[', '[z-a]x', '\\gx', '\\dx', 'a^b*', '[[:alpha:]]x', '[[:bogus:]]x', ' # not a comment', '\uFEFFbom', 'a\r\nb\r\n', '\\ lead',
  '[*]', 'a[*]b', '**foo', '!/x', '/', '..', '../a', 'a/../b', 'x/**/y', '\\*', '[\\]]', 'a{b}', 'a+b', '[a-]x',
];

/** Paths every ignore case is asked about. */
export const IGNORE_PATHS = ['a', 'b', 'x', 'ax', 'bx', '-x', ']x', '[x', '!x', '^x', '5x', 'gx', 'a^bc', 'ab', 'a]bx', 'a\\x', 'x\\', 'temp', 'tempa', 'a/temp1',
  'a/b/temp1', 'README.md', 'README-secret.md', 'README-x.md', 'NOTES.md', 'src/main.go', 'main.go', 'secret', 'build/out', 'dir/file', 'bom', '\uFEFFbom', 'barfoo',
  'a/xfoo', 'x/y', 'x/a/b/y', '*', 'a{b}', 'a+b', '*x', '[]', 'a*b', ' lead', '# not a comment', 'b/../x'];

const GLOB_ATOMS = ['a', 'b', 'x', '*', '**', '?', '/', '\\', '[a-c]', '[^a]', '[\\]]', '[', ']', '!', '.', '-', '^', ' ', '\\*', '\\[', '[!b]', '\\d'];
const PATH_ATOMS = ['a', 'b', 'x', 'ab', 'a.b', '-', ']', '[', '!', '^', '*', ' ', 'ba', 'c'];

export function ignoreCases(generated: number): PeerCase[] {
  const cases: PeerCase[] = [];
  PATTERN_FACTS.forEach(([patterns, path], i) => cases.push({ id: `ignore/fact/${i}`, kind: 'ignore', text: patterns.join('\n'), paths: [path] }));
  IGNORE_EXAMPLES.forEach((text, i) => cases.push({ id: `ignore/doc/${i}`, kind: 'ignore', text, paths: IGNORE_PATHS }));
  const next = random(1414);
  for (let i = 0; i < generated; i++) {
    const lines = Array.from({ length: 1 + Math.floor(next() * 3) }, () => (next() < 0.2 ? '!' : '') + Array.from({ length: 1 + Math.floor(next() * 4) }, () => pick(next, GLOB_ATOMS)).join(''));
    const paths = Array.from({ length: 12 }, () => Array.from({ length: 1 + Math.floor(next() * 3) }, () => pick(next, PATH_ATOMS)).join(next() < 0.3 ? '/' : ''));
    cases.push({ id: `ignore/gen/${i}`, kind: 'ignore', text: lines.join('\n'), paths });
  }
  return cases;
}

/** A context tree for the walker: [relative path, 'file' | 'dir']. */
export const WALK_TREE: Array<[string, 'file' | 'dir']> = [
  ['Dockerfile', 'file'], ['.dockerignore', 'file'], ['README.md', 'file'], ['docs', 'dir'], ['docs/a.md', 'file'], ['docs/keep.txt', 'file'], ['docs/sub', 'dir'],
  ['docs/sub/deep.md', 'file'], ['src', 'dir'], ['src/main.go', 'file'], ['src/main_test.go', 'file'], ['src/vendor', 'dir'], ['src/vendor/x.go', 'file'],
  ['node_modules', 'dir'], ['node_modules/p', 'dir'], ['node_modules/p/index.js', 'file'], ['empty', 'dir'], ['a[b]', 'file'], ['ab', 'file'], ['-', 'file'],
  ['.git', 'dir'], ['.git/HEAD', 'file'], ['build', 'dir'], ['build/out.bin', 'file'], ['build/keep', 'dir'], ['build/keep/me', 'file'],
];

const TREE_NAMES = ['a', 'b', 'x.go', 'x_test.go', 'a.md', '-', '[a]', 'keep', 'ab', 'README.md', 'sub'];

/** The fixed tree plus generated entries below it: [relative path, kind], parents first, no repeats. */
export function walkTree(generated: number): Array<[string, 'file' | 'dir']> {
  const tree = new Map<string, 'file' | 'dir'>(WALK_TREE);
  const next = random(1416);
  for (let i = 0; i < generated; i++) {
    const dirs = [...tree].filter(([, kind]) => kind === 'dir').map(([path]) => path);
    const parent = next() < 0.25 ? '' : pick(next, dirs);
    const path = `${parent === '' ? '' : `${parent}/`}${pick(next, TREE_NAMES)}`;
    if (!tree.has(path)) tree.set(path, next() < 0.35 ? 'dir' : 'file');
  }
  return [...tree];
}

const WALK_PATTERNS = ['docs', '!docs/keep.txt', '*.md', '!README.md', 'src/**/*_test.go', 'node_modules', '.git', 'build', '!build/keep', '!build/keep/me', '**/vendor',
  'a\\[b\\]', 'a[b]', '[a-]', '-', 'empty', '!docs/sub/*.md', '**', '!src', '*', '!*.go', 'src/*.go', 'docs/sub', '!**/deep.md',
  '**/keep', '!**/keep', '*/a', '!*/a', 'docs/*/x.go', '\\[a\\]', '**/sub/**', '!**/*_test.go', 'a/**', '!a/b', '*.md', 'b'];

export function walkPatternSets(generated: number): Array<{ id: string; excludes: string[]; includes: string[] }> {
  const sets = [
    { id: 'walk/doc/0', excludes: ['docs', '!docs/keep.txt'], includes: [] },
    { id: 'walk/doc/1', excludes: ['**', '!src', '!Dockerfile'], includes: [] },
    { id: 'walk/doc/2', excludes: ['*.md', '!README.md', 'node_modules', '.git'], includes: [] },
    { id: 'walk/doc/3', excludes: [], includes: ['src', 'Dockerfile'] },
    { id: 'walk/doc/4', excludes: ['src/vendor'], includes: ['src/*.go', 'src/vendor'] },
    { id: 'walk/doc/5', excludes: ['build', '!build/keep/me'], includes: [] },
    { id: 'walk/doc/6', excludes: ['[', 'docs'], includes: [] },
  ];
  const next = random(1415);
  for (let i = 0; i < generated; i++) {
    const excludes = Array.from({ length: Math.floor(next() * 6) }, () => pick(next, WALK_PATTERNS));
    const includes = next() < 0.3 ? Array.from({ length: 1 + Math.floor(next() * 2) }, () => pick(next, WALK_PATTERNS.filter((p) => !p.startsWith('!')))) : [];
    sets.push({ id: `walk/gen/${i}`, excludes, includes });
  }
  return sets;
}
