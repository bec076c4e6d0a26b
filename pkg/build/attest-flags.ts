// --attest, --provenance, --sbom and --annotation as docker buildx reads them, and SOURCE_DATE_EPOCH
// as buildx passes it. Pure: strings in, plain data out; a value BuildKit or buildx would refuse is
// a USAGE error naming the flag and the value, before anything is built.
import { KubectlBuildError } from '../errors/index.ts';
import { hostPlatform, normalizePlatform, type HostPlatform } from './platform-name.ts';

export const ATTESTATION_TYPES = ['provenance', 'sbom'] as const;
export type AttestationType = (typeof ATTESTATION_TYPES)[number];

export interface Attest {
  readonly type: AttestationType;
  readonly disabled: boolean;
  /** Everything but type and disabled (mode=, generator=, version=, ...), passed on to BuildKit. */
  readonly attrs: Readonly<Record<string, string>>;
}

export interface AttestFlags {
  readonly attest: readonly string[];
  readonly provenance?: string | undefined;
  readonly sbom?: string | undefined;
}

/**
 * Every attestation asked for, one per type: --attest values first, then the --provenance and
 * --sbom shorthands; the first value given for a type wins (buildx's order and rule).
 */
export function parseAttests(flags: AttestFlags): Attest[] {
  for (const flag of ['provenance', 'sbom'] as const) {
    // A bare --provenance: buildx's flag parser refuses a flag without its value.
    if (flags[flag] === '') throw new KubectlBuildError('USAGE', `--${flag} needs a value`, { hint: `use --${flag}=true, --${flag}=false or --${flag}=${flag === 'sbom' ? 'generator=IMAGE' : 'mode=max'}` });
  }
  const given = flags.attest.map((value) => parseAttest('attest', value));
  if (flags.provenance !== undefined) given.push(parseAttest('provenance', shorthand('provenance', flags.provenance), flags.provenance));
  if (flags.sbom !== undefined) given.push(parseAttest('sbom', shorthand('sbom', flags.sbom), flags.sbom));
  const byType = new Map<AttestationType, Attest>();
  for (const attest of given) if (!byType.has(attest.type)) byType.set(attest.type, attest);
  return [...byType.values()];
}

/** buildx's shorthand: a boolean enables or disables the type; anything else is its attributes. */
export function shorthand(type: AttestationType, value: string): string {
  const bool = parseGoBool(value);
  return bool === undefined ? `type=${type},${value}` : `type=${type},disabled=${!bool}`;
}

/** One `type=...,key=value` list; `shown` is what the user typed, for the message. */
export function parseAttest(flag: string, value: string, shown = value): Attest {
  const fail = (why: string, hint: string) => new KubectlBuildError('USAGE', `invalid value "${shown}" for --${flag}: ${why}`, { hint });
  let type: string | undefined;
  let disabled = false;
  const attrs: Record<string, string> = {};
  for (const field of csvFields(value, () => fail('unbalanced double quotes', 'quote a whole key=value field: "key=a,b"'))) {
    const eq = field.indexOf('=');
    if (eq === -1) throw fail(`"${field}" is not key=value`, `e.g. --${flag} ${flag === 'attest' ? 'type=provenance,mode=max' : 'mode=max'}`);
    const key = field.slice(0, eq);
    const fieldValue = field.slice(eq + 1);
    switch (key.trim().toLowerCase()) {
      case 'type':
        type = fieldValue;
        break;
      case 'disabled': {
        const bool = parseGoBool(fieldValue);
        if (bool === undefined) throw fail(`disabled=${fieldValue} is not a boolean`, 'use disabled=true or disabled=false');
        disabled = bool;
        break;
      }
      default:
        attrs[key] = fieldValue;
    }
  }
  if (!type) throw fail('no attestation type', 'add type=provenance or type=sbom');
  // BuildKit reads the type case-insensitively and knows these two only.
  const known = ATTESTATION_TYPES.find((name) => name === type?.toLowerCase());
  if (!known) throw fail(`unknown attestation type "${type}"`, 'use type=provenance or type=sbom');
  if (known === 'provenance' && !disabled) checkProvenanceAttrs(attrs, fail);
  return { type: known, disabled, attrs };
}

// What BuildKit's provenance creator refuses (after the build, there): refused here instead.
function checkProvenanceAttrs(attrs: Record<string, string>, fail: (why: string, hint: string) => KubectlBuildError): void {
  if (attrs.mode !== undefined && !['min', 'max', 'full'].includes(attrs.mode)) throw fail(`unknown provenance mode "${attrs.mode}"`, 'use mode=min or mode=max');
  if (attrs.version !== undefined && !['v1', 'v0.2'].includes(attrs.version)) throw fail(`unknown SLSA version "${attrs.version}"`, 'use version=v1 or version=v0.2');
  for (const key of ['reproducible', 'complete-materials']) {
    const given = attrs[key];
    if (given !== undefined && parseGoBool(given) === undefined) throw fail(`${key}=${given} is not a boolean`, `use ${key}=true or ${key}=false`);
  }
}

/**
 * The frontend attributes for the attestations: `attest:<type>` = the list buildx sends (type first,
 * then the attributes sorted by key); a disabled type sends nothing.
 */
export function attestFrontendAttrs(attests: readonly Attest[]): Record<string, string> {
  const attrs: Record<string, string> = {};
  for (const attest of attests) {
    if (attest.disabled) continue;
    const fields = [`type=${attest.type}`, ...Object.keys(attest.attrs).sort().map((key) => `${key}=${attest.attrs[key]}`)];
    attrs[`attest:${attest.type}`] = fields.map(csvQuote).join(',');
  }
  return attrs;
}

const ANNOTATION_TYPES = new Set(['index', 'index-descriptor', 'manifest', 'manifest-descriptor']);
const ANNOTATION_TYPE = /^([a-z-]+)(?:\[([A-Za-z0-9_/-]+)\])?$/;

/**
 * --annotation [TYPES:]KEY=VALUE, TYPES a comma-separated list of index, index-descriptor, manifest,
 * manifest-descriptor, each optionally with a [platform]: the image exporter's `annotation*` attrs.
 */
export function parseAnnotations(values: readonly string[], host: HostPlatform = hostPlatform()): Record<string, string> {
  const attrs: Record<string, string> = {};
  for (const item of values) {
    if (item === '') continue;
    const fail = (why: string, hint: string) => new KubectlBuildError('USAGE', `invalid value "${item}" for --annotation: ${why}`, { hint });
    const eq = item.indexOf('=');
    if (eq === -1) throw fail('expected KEY=VALUE', 'e.g. --annotation org.opencontainers.image.description=demo');
    const name = item.slice(0, eq);
    const value = item.slice(eq + 1);
    const colon = name.indexOf(':');
    if (colon === -1) {
      attrs[`annotation.${name}`] = value;
      continue;
    }
    const key = name.slice(colon + 1);
    for (const typeAndPlatform of name.slice(0, colon).split(',')) {
      const match = ANNOTATION_TYPE.exec(typeAndPlatform);
      const hint = 'use index:, manifest:, index-descriptor: or manifest-descriptor:, optionally with a platform, e.g. manifest[linux/amd64]:KEY=VALUE';
      if (!match) throw fail(`"${typeAndPlatform}" is not a type with an optional [platform]`, hint);
      const [, type = '', platform] = match;
      if (!ANNOTATION_TYPES.has(type)) throw fail(`unknown annotation type "${type}"`, hint);
      const normalized = platform ? normalizePlatform(platform, host, () => fail(`invalid platform "${platform}"`, 'use OS/ARCH[/VARIANT], e.g. linux/arm64')) : '';
      // The index and its descriptor are one per image: BuildKit's key has no platform for them.
      const selector = type.startsWith('manifest') && normalized ? `[${normalized}]` : '';
      attrs[`annotation-${type}${selector}.${key}`] = value;
    }
  }
  return attrs;
}

export const SOURCE_DATE_EPOCH = 'SOURCE_DATE_EPOCH';

/**
 * SOURCE_DATE_EPOCH from the environment becomes a build argument unless one is given (buildx's
 * rule); an empty variable counts as unset. BuildKit reads it as a decimal integer (seconds).
 */
export function withSourceDateEpoch(buildArgs: Readonly<Record<string, string>>, fromEnv: string | undefined): Record<string, string> {
  const args = { ...buildArgs };
  if (args[SOURCE_DATE_EPOCH] === undefined && fromEnv) args[SOURCE_DATE_EPOCH] = fromEnv;
  const epoch = args[SOURCE_DATE_EPOCH];
  if (epoch !== undefined && epoch !== '' && !/^[+-]?\d+$/.test(epoch)) {
    throw new KubectlBuildError('USAGE', `invalid SOURCE_DATE_EPOCH "${epoch}": expected seconds since 1970 as an integer`, {
      hint: 'e.g. SOURCE_DATE_EPOCH=$(git log -1 --format=%ct)',
    });
  }
  return args;
}

/** Go's strconv.ParseBool: the forms buildx accepts for a boolean. */
export function parseGoBool(value: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(value)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(value)) return false;
  return undefined;
}

/** One CSV record as Go's encoding/csv reads it: "..." fields with "" for a quote inside. */
function csvFields(line: string, fail: () => Error): string[] {
  const fields: string[] = [];
  let index = 0;
  for (;;) {
    let field = '';
    if (line[index] === '"') {
      index++;
      for (;;) {
        if (index >= line.length) throw fail();
        const ch = line[index++] as string;
        if (ch !== '"') field += ch;
        else if (line[index] === '"') field += line[index++];
        else break;
      }
      if (index < line.length && line[index] !== ',') throw fail();
    } else {
      const comma = line.indexOf(',', index);
      field = line.slice(index, comma === -1 ? line.length : comma);
      if (field.includes('"')) throw fail();
      index = comma === -1 ? line.length : comma;
    }
    fields.push(field);
    if (index >= line.length) return fields;
    index++; // the comma
  }
}

/** A field as buildx writes it back: quoted when it holds a comma or a quote. */
function csvQuote(field: string): string {
  return /[,"]/.test(field) ? `"${field.replaceAll('"', '""')}"` : field;
}
