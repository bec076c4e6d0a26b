// The structural checks of a policy file are its JSON Schema's (policy.schema.json, which editors
// can use too); this turns ajv's list of failures into the ONE sentence a user needs: the most
// telling failure (a wrong apiVersion explains everything after it, an unknown field explains the
// "missing" one beside it), where it is, and what to write instead.
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import schema from './policy.schema.json' with { type: 'json' };
import type { FieldPath } from './position.ts';

export const SCHEMA_ID = schema.$id;

export interface SchemaProblem {
  readonly path: FieldPath;
  readonly message: string;
  readonly hint: string;
}

// Compiled on first use: only commands that read a policy pay for it.
let compiled: ValidateFunction | undefined;

function validator(): ValidateFunction {
  if (!compiled) {
    const ajv = new Ajv({ allErrors: true, verbose: true });
    // Our annotation: the sentence to print when the keyword beside it fails.
    ajv.addKeyword({ keyword: 'x-messages', schemaType: 'object' });
    ajv.addKeyword({ keyword: 'x-hint', schemaType: 'string' });
    compiled = ajv.compile(schema);
  }
  return compiled;
}

/** The one structural problem to report, or undefined when the data fits the schema. */
export function schemaProblem(data: unknown): SchemaProblem | undefined {
  const validate = validator();
  if (validate(data)) return undefined;
  const errors = withoutBranchDetails(validate.errors ?? []);
  const ranked = errors.map((error, order) => ({ error, order, rank: rankOf(error) }));
  ranked.sort((a, b) => a.rank - b.rank || a.order - b.order);
  const chosen = ranked[0]?.error;
  return chosen ? describe(chosen, data) : { path: [], message: 'does not match the policy format', hint: schemaHint() };
}

// A failing oneOf also reports why each branch failed ("must have required property 'key'", then
// 'keyless'): noise next to the oneOf's own sentence.
function withoutBranchDetails(errors: readonly ErrorObject[]): ErrorObject[] {
  const branches = errors.filter((error) => error.keyword === 'oneOf' || error.keyword === 'anyOf');
  return errors.filter((error) => !branches.some((branch) => error.schemaPath.startsWith(`${branch.schemaPath}/`)));
}

const KEYWORD_RANK: Readonly<Record<string, number>> = { additionalProperties: 1, type: 2, const: 3, enum: 3, required: 4, oneOf: 6, anyOf: 6 };

function rankOf(error: ErrorObject): number {
  // Another format or version (a ClusterImagePolicy, a future v1): nothing else is worth saying.
  const field = error.keyword === 'required' ? `/${String(error.params.missingProperty)}` : error.instancePath;
  if (field === '/apiVersion' || field === '/kind') return 0;
  return KEYWORD_RANK[error.keyword] ?? 5;
}

function describe(error: ErrorObject, root: unknown): SchemaProblem {
  const path = pointerPath(error.instancePath, root);
  const parent = (error.parentSchema ?? {}) as AnnotatedSchema;
  const custom = parent['x-messages']?.[error.keyword];
  const described = hintOf(parent);
  const { params, data } = error;
  const last = path.at(-1);
  switch (error.keyword) {
    case 'additionalProperties': {
      const name = String(params.additionalProperty);
      const known = Object.keys(parent.properties ?? {});
      const near = known.find((candidate) => editDistance(candidate.toLowerCase(), name.toLowerCase()) <= 2);
      return { path: [...path, name], message: `unknown field "${name}"`, hint: `${near ? `did you mean ${near}? ` : ''}the fields here are ${known.join(', ')}` };
    }
    case 'required': {
      const name = String(params.missingProperty);
      const field = parent.properties?.[name];
      return { path, message: `the field ${name} is missing`, hint: field ? `add ${name}: ${hintOf(field)}` : described };
    }
    case 'type':
      return { path, message: `expected ${TYPE_NAMES[String(params.type)] ?? String(params.type)}, found ${kindOf(data)}`, hint: TYPE_HINTS[String(params.type)] ?? described };
    case 'const':
      return { path, message: `${JSON.stringify(data)} is not supported; the supported ${String(last)} is ${String(params.allowedValue)}`, hint: `write ${String(last)}: ${String(params.allowedValue)}` };
    case 'enum': {
      const allowed = (params.allowedValues as unknown[]).map(String);
      return { path, message: `${JSON.stringify(data)} is not one of ${allowed.join(', ')}`, hint: `write ${String(last)}: ${allowed[0]} (or ${allowed.slice(1).join(', ')})` };
    }
    case 'uniqueItems': {
      // ajv names both places; the later one is the repetition.
      const again = Math.max(Number(params.i), Number(params.j));
      return { path: [...path, again], message: `${JSON.stringify((data as unknown[])[again])} is listed twice`, hint: 'list each signer once: a signer counts once anyway' };
    }
    case 'pattern':
      return { path, message: `${JSON.stringify(data)} is not valid: ${custom ?? `it must match ${String(params.pattern)}`}`, hint: described };
    case 'minLength':
      return { path, message: 'must not be empty', hint: described };
    case 'maxLength':
      return { path, message: `is longer than ${String(params.limit)} characters`, hint: described };
    case 'minimum':
      return { path, message: `${JSON.stringify(data)} is too small: the least is ${String(params.limit)}`, hint: described };
    default:
      return { path, message: custom ?? error.message ?? `fails ${error.keyword}`, hint: described };
  }
}

const TYPE_NAMES: Readonly<Record<string, string>> = { object: 'a mapping', array: 'a list', string: 'a string', integer: 'a whole number', boolean: 'true or false' };
const TYPE_HINTS: Readonly<Record<string, string>> = {
  object: 'write "field: value" lines indented under it',
  array: 'write a list: [a, b], or one "- item" line each',
  string: 'quote the value to make it a string: "..."',
  integer: 'write a whole number such as 2',
  boolean: 'write true or false',
};

function kindOf(value: unknown): string {
  if (value === null || value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'number') return `the number ${value}`;
  return `${typeof value === 'string' ? 'the string' : 'the value'} ${JSON.stringify(value)}`;
}

/** A JSON pointer into `root` as a field path: array indices become numbers. */
function pointerPath(pointer: string, root: unknown): FieldPath {
  const path: Array<string | number> = [];
  let node = root;
  for (const raw of pointer.split('/').slice(1)) {
    const segment = raw.replaceAll('~1', '/').replaceAll('~0', '~');
    const step = Array.isArray(node) ? Number(segment) : segment;
    path.push(step);
    node = (node as Record<string | number, unknown> | undefined)?.[step];
  }
  return path;
}

/** The parts of our schema's objects that messages read. */
interface AnnotatedSchema {
  readonly properties?: Readonly<Record<string, AnnotatedSchema>>;
  readonly description?: string;
  readonly 'x-messages'?: Readonly<Record<string, string>>;
  readonly 'x-hint'?: string;
}

/** What to write: the schema's x-hint, else its description as a hint, else where the format is described. */
function hintOf(schema: AnnotatedSchema): string {
  const description = schema.description?.replace(/\.$/, '');
  return schema['x-hint'] ?? (description ? description.charAt(0).toLowerCase() + description.slice(1) : schemaHint());
}

function schemaHint(): string {
  return `the JSON Schema ${SCHEMA_ID} describes every field`;
}

/** Levenshtein distance, for "did you mean" on a misspelt field. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}
