// What a genuine signature says it signs, checked against the image's digest, with the annotations
// it carries. Legacy: cosign's SimpleClaimVerifier (pkg/cosign/verifiers.go) decodes the payload
// with Go's encoding/json (keys matched case-insensitively, a field of the wrong type is an error)
// and compares only critical.image.docker-manifest-digest; it does NOT look at critical.type.
// Bundle: sigstore-go's artifact-digest check (any subject) and cosign v3's
// IntotoSubjectClaimVerifier (the first subject naming the digest gives the annotations);
// `cosign verify` checks no predicateType.
import { CheckProblem } from './problem.ts';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

/** The annotations of a simple-signing payload that names `imageDigest`; a problem otherwise. */
export function simpleSigningClaims(payload: Buffer, imageDigest: string): Record<string, string> {
  const root = parseJson(payload, 'the payload');
  const malformed = () => new CheckProblem('the payload is not a cosign simple-signing payload');
  const critical = objectField(root, 'critical', malformed);
  const identity = objectField(critical, 'identity', malformed);
  stringField(identity, 'docker-reference', malformed);
  stringField(critical, 'type', malformed);
  const image = objectField(critical, 'image', malformed);
  const digest = stringField(image, 'docker-manifest-digest', malformed);
  const optional = objectField(root, 'optional', malformed);
  if (digest !== imageDigest) throw new CheckProblem(`the payload names ${digest ? digest : 'no digest'}, not this image`);
  return stringValues(optional);
}

// sigstore-go's limits on a statement (pkg/verify/signature.go).
const MAX_SUBJECTS = 1024;
const MAX_SUBJECT_DIGESTS = 32;

/** The annotations of the in-toto statement's subject that names `imageDigest`; a problem otherwise. */
export function statementClaims(statement: Buffer, imageDigest: string): Record<string, string> {
  const root = parseJson(statement, 'the signed statement');
  const malformed = (what: string) => new CheckProblem(`the signed statement is not an in-toto statement (${what})`);
  if (!isObject(root)) throw malformed('not an object');
  const subjects = root.subject ?? [];
  if (!Array.isArray(subjects)) throw malformed('subject is not a list');
  if (subjects.length > MAX_SUBJECTS) throw malformed(`more than ${MAX_SUBJECTS} subjects`);
  const wanted = imageDigest.replace(/^sha256:/, '');
  let named: string | undefined;
  let match: JsonObject | undefined;
  for (const subject of subjects) {
    if (!isObject(subject)) throw malformed('a subject is not an object');
    const digests = subject.digest ?? {};
    if (!isObject(digests)) throw malformed('a subject digest is not an object');
    const entries = Object.entries(digests);
    if (entries.length > MAX_SUBJECT_DIGESTS) throw malformed(`a subject has more than ${MAX_SUBJECT_DIGESTS} digests`);
    if (entries.some(([, value]) => typeof value !== 'string' || !/^(?:[0-9a-fA-F]{2})*$/.test(value))) throw malformed('a subject digest is not hex');
    const sha256 = digests.sha256 as string | undefined;
    named ??= sha256 === undefined ? undefined : `sha256:${sha256}`;
    if (sha256 === wanted && imageDigest.startsWith('sha256:')) {
      match = subject;
      break;
    }
  }
  if (!match) throw new CheckProblem(`the signed statement names ${named ?? 'no sha256 digest'}, not this image`);
  const annotations = match.annotations ?? null;
  if (annotations !== null && !isObject(annotations)) throw malformed('subject annotations are not an object');
  return stringValues(annotations);
}

function parseJson(bytes: Buffer, what: string): Json {
  try {
    return JSON.parse(bytes.toString('utf8')) as Json;
  } catch {
    throw new CheckProblem(`${what} is not JSON`);
  }
}

function isObject(value: Json | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A key as Go's encoding/json finds a struct field: the exact name, else one equal but for ASCII case. */
function field(parent: JsonObject | null, name: string): Json | undefined {
  if (parent === null) return undefined;
  if (Object.hasOwn(parent, name)) return parent[name];
  const key = Object.keys(parent).findLast((candidate) => candidate.toLowerCase() === name);
  return key === undefined ? undefined : parent[key];
}

function objectField(parent: Json, name: string, malformed: () => CheckProblem): JsonObject | null {
  if (!isObject(parent) && parent !== null) throw malformed();
  const value = field(parent, name) ?? null;
  if (value !== null && !isObject(value)) throw malformed();
  return value;
}

function stringField(parent: JsonObject | null, name: string, malformed: () => CheckProblem): string {
  const value = field(parent, name) ?? null;
  if (value !== null && typeof value !== 'string') throw malformed();
  return value ?? '';
}

/** Annotations are strings (cosign -a): other values can never equal what a policy asks for. */
function stringValues(object: JsonObject | null): Record<string, string> {
  const values: Record<string, string> = {};
  for (const [key, value] of Object.entries(object ?? {})) if (typeof value === 'string') values[key] = value;
  return values;
}
