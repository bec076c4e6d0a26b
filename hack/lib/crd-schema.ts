// A CustomResourceDefinition's published schema as a JSON Schema for ajv, for checking that what we
// export is what the engine's API accepts. The API server prunes unknown fields without a word, and
// a pruned field of an admission policy is a check silently gone: so every object schema that lists
// its properties (and does not preserve unknown fields) refuses others here.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { readVersions } from './versions.ts';
import { cacheDir } from './paths.ts';

type Schema = Record<string, unknown>;

/** The Kyverno CRD file the pinned module publishes (hack/tools.sh install downloads it). */
export function kyvernoCrdPath(file: string): string {
  const version = readVersions().KYVERNO_VERSION ?? 'unknown';
  return join(cacheDir(), 'tools', `kyverno-${version}`, 'config', 'crds', 'kyverno', file);
}

export function crdSchema(path: string, version: string): Schema {
  const crd = parse(readFileSync(path, 'utf8')) as { spec: { versions: Array<{ name: string; schema: { openAPIV3Schema: Schema } }> } };
  const found = crd.spec.versions.find((candidate) => candidate.name === version);
  if (!found) throw new Error(`${path} has no version ${version}`);
  return closed(found.schema.openAPIV3Schema);
}

function closed(schema: Schema): Schema {
  const copy: Schema = { ...schema };
  if (copy.properties && typeof copy.properties === 'object') {
    copy.properties = Object.fromEntries(Object.entries(copy.properties as Record<string, Schema>).map(([key, value]) => [key, closed(value)]));
    if (!copy['x-kubernetes-preserve-unknown-fields'] && copy.additionalProperties === undefined) copy.additionalProperties = false;
  }
  if (copy.items && typeof copy.items === 'object') copy.items = closed(copy.items as Schema);
  for (const key of ['anyOf', 'oneOf', 'allOf'] as const) {
    if (Array.isArray(copy[key])) copy[key] = (copy[key] as Schema[]).map(closed);
  }
  if (copy.additionalProperties && typeof copy.additionalProperties === 'object') copy.additionalProperties = closed(copy.additionalProperties as Schema);
  return copy;
}
