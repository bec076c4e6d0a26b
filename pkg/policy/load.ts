// Reading a policy file: YAML (keeping each node's position), then the JSON Schema, then the
// cross-references, each failure one USAGE error naming file, line and field. What comes out is
// plain data with every relative path made relative to the policy file's folder, so the policy
// means the same wherever kubectl runs.
import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { LineCounter, parseDocument, type YAMLError } from 'yaml';
import { KubectlBuildError } from '../errors/index.ts';
import { checkPolicy, type RawPolicy } from './check.ts';
import { relativeTo, resolveKeyReference } from './keyref.ts';
import { fileError, policyError, type PolicySource } from './position.ts';
import { schemaProblem } from './schema-errors.ts';
import { POLICY_API_VERSION, POLICY_KIND, type Policy, type PolicySigner, type Rule, type TextMatch } from './types.ts';

/** Reads and checks the policy file at `path`. */
export async function loadPolicy(path: string): Promise<Policy> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new KubectlBuildError('NOT_FOUND', `cannot read the policy file ${path}`, { hint: 'check the path given to --policy', cause: error });
  }
  return parsePolicy(text, path);
}

/** Checks a policy's text; `source` is the file it came from, for messages and relative paths. */
export function parsePolicy(text: string, source: string): Policy {
  const lines = new LineCounter();
  const document = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  const syntax = document.errors[0];
  if (syntax) throw fileError(source, lines.linePos(syntax.pos[0]).line, '', syntaxMessage(syntax), syntaxHint(syntax));
  const file: PolicySource = { name: source, document, lines };
  let data: unknown;
  try {
    data = document.toJS();
  } catch (error) {
    // Only an alias bomb gets here: the document parsed, but expands beyond reason.
    throw fileError(source, 1, '', `cannot read the YAML: ${(error as Error).message}`, 'write the policy without anchors and aliases (&name, *name)');
  }
  if (data == null) throw fileError(source, 1, '', 'the policy file is empty', `start it with apiVersion: ${POLICY_API_VERSION} and kind: ${POLICY_KIND}`);
  const problem = schemaProblem(data);
  if (problem) throw policyError(file, problem.path, problem.message, problem.hint);
  const raw = data as RawPolicy;
  checkPolicy(file, raw);
  return build(raw, source);
}

function syntaxMessage(error: YAMLError): string {
  if (error.code === 'MULTIPLE_DOCS') return 'a policy file holds one YAML document, this one holds several (---)';
  if (error.code === 'DUPLICATE_KEY') return 'this field is given twice';
  return `invalid YAML: ${error.message}`;
}

function syntaxHint(error: YAMLError): string {
  if (error.code === 'MULTIPLE_DOCS') return 'keep one policy per file, and pass it with --policy';
  if (error.code === 'DUPLICATE_KEY') return 'keep one of the two';
  return 'indent fields of one mapping by the same spaces, and quote values that hold ": " or " #"';
}

function build(raw: RawPolicy, source: string): Policy {
  const folder = dirname(source);
  const signers = raw.signers.map((signer): PolicySigner => {
    if (signer.key !== undefined) return { kind: 'key', name: signer.name, key: resolveKeyReference(signer.key, folder) };
    const keyless = signer.keyless ?? {};
    return { kind: 'keyless', name: signer.name, identity: textMatch(keyless.identity, keyless.identityRegExp), issuer: textMatch(keyless.issuer, keyless.issuerRegExp) };
  });
  const rules = raw.rules.map((rule): Rule => ({
    ...(rule.name === undefined ? {} : { name: rule.name }),
    label: rule.name ?? (rule.images[0] as string),
    images: rule.images,
    require: rule.require,
    transparencyLog: rule.transparencyLog ?? 'required',
    annotations: rule.annotations ?? {},
    platforms: rule.platforms ?? false,
  }));
  return {
    source,
    ...(raw.metadata?.name === undefined ? {} : { name: raw.metadata.name }),
    ...(raw.trustedRoot === undefined ? {} : { trustedRoot: relativeTo(folder, raw.trustedRoot) }),
    signers,
    rules,
  };
}

// The schema's oneOf guarantees exactly one of the two.
function textMatch(exact: string | undefined, regExp: string | undefined): TextMatch {
  return exact !== undefined ? { kind: 'exact', value: exact } : { kind: 'regexp', value: regExp as string };
}
