// BuildOptions -> SolvePlan: what one Solve request needs (frontend attributes, exporters, cache,
// entitlements, local directories), following docker buildx's meaning of each flag. Pure data in
// and out, so every rule here is unit-tested without a daemon.
import { basename, dirname, resolve } from 'node:path';
import { KubectlBuildError } from '../errors/index.ts';
import type { AttrEntry } from '../buildkit/types.ts';
import { attestFrontendAttrs, SOURCE_DATE_EPOCH, type Attest } from './attest-flags.ts';
import { parseAddHosts } from './flags/add-host.ts';
import type { AttrList } from './flags/attr-list.ts';
import { checkOutputs, outputTarget } from './flags/output.ts';

export interface SecretSpec {
  readonly id: string;
  readonly source: { readonly kind: 'file'; readonly path: string } | { readonly kind: 'env'; readonly name: string };
}

/** --ssh: an ID the Dockerfile mounts, served by an agent socket or private key files. */
export interface SshSpec {
  readonly id: string;
  readonly paths: readonly string[];
}

export interface BuildOptions {
  /** The context directory (absolute). */
  readonly contextDir: string;
  /** The Dockerfile (absolute); may be outside the context. */
  readonly dockerfile: string;
  readonly tags: readonly string[];
  readonly buildArgs: Readonly<Record<string, string>>;
  readonly labels: Readonly<Record<string, string>>;
  readonly target?: string;
  readonly platform?: string;
  readonly push: boolean;
  /** Push by digest only, under the tags' repositories (the platform images of a CLI-assembled list). */
  readonly pushByDigest?: boolean;
  readonly outputs: readonly AttrList[];
  readonly noCache: boolean;
  readonly pull: boolean;
  readonly secrets: readonly SecretSpec[];
  readonly ssh?: readonly SshSpec[];
  readonly cacheFrom: readonly AttrList[];
  readonly cacheTo: readonly AttrList[];
  readonly network?: string;
  readonly addHosts: readonly string[];
  readonly allow: readonly string[];
  /** --attest, --provenance, --sbom (attest-flags.ts). None by default, unlike buildx: see the README. */
  readonly attests?: readonly Attest[];
  /** --annotation as the exporters' `annotation*` attributes (attest-flags.ts). */
  readonly annotations?: Readonly<Record<string, string>>;
}

/** Where a client-side output goes: exporter i's result is written to `outputs[i]`. */
export type ClientOutput =
  | { readonly kind: 'directory'; readonly path: string }
  | { readonly kind: 'file'; readonly path: string }
  | { readonly kind: 'stdout' };

export interface SolvePlan {
  readonly frontend: 'dockerfile.v0';
  readonly frontendAttrs: Record<string, string>;
  readonly exporters: AttrEntry[];
  /** Aligned with `exporters`: where each client-side output is written (undefined for images). */
  readonly outputs: Array<ClientOutput | undefined>;
  readonly cacheImports: AttrEntry[];
  readonly cacheExports: AttrEntry[];
  readonly entitlements: string[];
  /** The local directories the frontend reads through FileSync. */
  readonly localDirs: { readonly context: string; readonly dockerfile: string };
  /** Whether the image is pushed (and so has a registry digest to report and sign). */
  readonly pushes: boolean;
}

const ENTITLEMENTS = new Set(['network.host', 'security.insecure']);
const NETWORK_MODES = new Set(['default', 'none', 'host']);

export function planBuild(options: BuildOptions): SolvePlan {
  const frontendAttrs: Record<string, string> = { filename: basename(options.dockerfile) };
  if (options.target) frontendAttrs.target = options.target;
  if (options.platform) frontendAttrs.platform = options.platform;
  for (const [key, value] of Object.entries(options.buildArgs)) frontendAttrs[`build-arg:${key}`] = value;
  for (const [key, value] of Object.entries(options.labels)) frontendAttrs[`label:${key}`] = value;
  // "" means every stage.
  if (options.noCache) frontendAttrs['no-cache'] = '';
  if (options.pull) frontendAttrs['image-resolve-mode'] = 'pull';
  if (options.network !== undefined && options.network !== 'default') {
    if (!NETWORK_MODES.has(options.network)) {
      throw usage(`unknown --network "${options.network}"`, 'use default, none or host');
    }
    frontendAttrs['force-network-mode'] = options.network;
  }
  const addHosts = parseAddHosts(options.addHosts);
  if (addHosts !== '') frontendAttrs['add-hosts'] = addHosts;

  const cacheImports = options.cacheFrom.map(toEntry);
  // The frontend resolves cache for its own stages from these too.
  if (cacheImports.length > 0) frontendAttrs['cache-imports'] = JSON.stringify(cacheImports);

  for (const entitlement of options.allow) {
    if (!ENTITLEMENTS.has(entitlement)) throw usage(`unknown --allow "${entitlement}"`, 'use network.host or security.insecure');
  }

  Object.assign(frontendAttrs, attestFrontendAttrs(options.attests ?? []));

  checkOutputs(options.outputs, false);
  const planned = planExporters(options);
  const exporters = planned.map((p) => withAnnotationsAndEpoch(p.exporter, options));
  return {
    frontend: 'dockerfile.v0',
    frontendAttrs,
    exporters,
    outputs: planned.map((p) => p.output),
    cacheImports,
    cacheExports: options.cacheTo.map(toEntry),
    entitlements: [...options.allow],
    localDirs: { context: resolve(options.contextDir), dockerfile: dirname(resolve(options.dockerfile)) },
    pushes: pushesImage(options),
  };
}

/**
 * Whether the build pushes an image: --push, -o type=registry, or -o type=image,push (empty and
 * "true" both count, as BuildKit reads them). The one answer for the plan, multi-platform builds
 * and --sign.
 */
export function pushesImage(options: Pick<BuildOptions, 'push' | 'outputs'>): boolean {
  return options.push || options.outputs.some((output) => output.type === 'registry' || (output.type === 'image' && isTrue(output.attrs.push)));
}

// --push, -t and -o together, as buildx reads them: `--push` is `-o type=registry`; `registry` is
// the image exporter with push=true; tags name the image unless the output names it.
function planExporters(options: BuildOptions): Array<{ exporter: AttrEntry; output?: ClientOutput }> {
  // Copies: the plan never changes the options it was given.
  const outputs: AttrList[] = options.outputs.map((output) => ({ type: output.type, attrs: { ...output.attrs } }));
  if (options.push) {
    const image = outputs.find((output) => output.type === 'image' || output.type === 'registry');
    if (image) image.attrs.push = 'true';
    else outputs.push({ type: 'image', attrs: { push: 'true' } });
  }
  return outputs.map((output) => {
    switch (output.type) {
      case 'registry':
      case 'image': {
        const attrs = { ...output.attrs };
        // buildx: registry is the image exporter pushing, and not unpacking unless asked.
        if (output.type === 'registry') {
          attrs.push = 'true';
          attrs.unpack ??= 'false';
        }
        if (options.pushByDigest) delete attrs.name; // the platform images go under the tags' repositories
        if (attrs.name === undefined && options.tags.length > 0) {
          attrs.name = options.pushByDigest ? [...new Set(options.tags.map(withoutTag))].join(',') : options.tags.join(',');
        }
        if (options.pushByDigest) attrs['push-by-digest'] = 'true';
        if (isTrue(attrs.push) && !attrs.name) {
          throw usage('pushing needs an image name', 'add -t REGISTRY/IMAGE:TAG');
        }
        return { exporter: { Type: 'image', Attrs: attrs } };
      }
      case 'local':
      case 'tar':
      case 'oci':
      case 'docker': {
        // dest is the client's business: the daemon streams the result back through the session.
        const { dest: _dest, ...attrs } = output.attrs;
        if ((output.type === 'oci' || output.type === 'docker') && attrs.name === undefined && options.tags.length > 0) {
          attrs.name = options.tags.join(',');
        }
        const target = outputTarget(output);
        return { exporter: { Type: output.type, Attrs: attrs }, ...(target ? { output: target.kind === 'stdout' ? target : { ...target, path: resolve(target.path) } } : {}) };
      }
      default:
        outputTarget(output); // refuses the type, naming the flag
        throw usage(`unknown output type "${output.type}"`, 'use image, registry, local, tar, oci or docker');
    }
  });
}

// Exporters that write image layers rewrite the files' timestamps to SOURCE_DATE_EPOCH when it is
// set (unless the output says otherwise): with the epoch alone, a COPY keeps the context's mtimes,
// so two checkouts of the same sources would still give two digests. buildx leaves this to -o.
const LAYER_EXPORTERS = new Set(['image', 'oci', 'docker']);

function withAnnotationsAndEpoch(exporter: AttrEntry, options: BuildOptions): AttrEntry {
  // As buildx: --annotation goes on every output, over what -o said.
  const attrs = { ...exporter.Attrs, ...options.annotations };
  if (options.buildArgs[SOURCE_DATE_EPOCH] && LAYER_EXPORTERS.has(exporter.Type) && attrs['rewrite-timestamp'] === undefined) attrs['rewrite-timestamp'] = 'true';
  return { Type: exporter.Type, Attrs: attrs };
}

/** "r.example/app:1" -> "r.example/app" (a port's colon stays). */
export function withoutTag(name: string): string {
  return name.replace(/@.*$/, '').replace(/:[^/:]+$/, '');
}

function toEntry(list: AttrList): AttrEntry {
  return { Type: list.type, Attrs: { ...list.attrs } };
}

function isTrue(value: string | undefined): boolean {
  return value === '' || value === 'true';
}

function usage(message: string, hint: string): KubectlBuildError {
  return new KubectlBuildError('USAGE', message, { hint });
}
