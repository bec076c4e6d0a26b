// Where in the file a field is, so that every complaint about a policy reads
// `file:line: field: what is wrong`: the YAML document keeps each node's offset, a LineCounter
// turns offsets into lines, and a field path (["rules", 0, "require", "all", 1]) leads to the node.
import { isAlias, isMap, isScalar, isSeq, type Document, type LineCounter } from 'yaml';
import { KubectlBuildError } from '../errors/index.ts';

export type FieldPath = ReadonlyArray<string | number>;

/** A parsed policy file: its name for messages, the YAML document, and its line counter. */
export interface PolicySource {
  readonly name: string;
  readonly document: Document;
  readonly lines: LineCounter;
}

/** `rules[0].require.all[1]`, or `annotations["team.example.com/env"]` for keys that are not plain words. */
export function fieldText(path: FieldPath): string {
  let text = '';
  for (const segment of path) {
    if (typeof segment === 'number') text += `[${segment}]`;
    else if (/^[A-Za-z_][\w-]*$/.test(segment)) text += text === '' ? segment : `.${segment}`;
    else text += `[${JSON.stringify(segment)}]`;
  }
  return text;
}

/**
 * The 1-based line of the field: of its key when it is a mapping entry (the line a user reads as
 * "the field"), of the item in a list. The deepest node that exists when the path goes further.
 */
export function lineOf(source: PolicySource, path: FieldPath): number {
  const { document } = source;
  let node: unknown = document.contents;
  let offset = rangeStart(node) ?? 0;
  for (const segment of path) {
    if (isAlias(node)) node = node.resolve(document);
    if (isMap(node)) {
      const pair = node.items.find((item) => isScalar(item.key) && String(item.key.value) === String(segment));
      if (!pair) break;
      offset = rangeStart(pair.key) ?? offset;
      node = pair.value;
    } else if (isSeq(node)) {
      const item = node.items[Number(segment)];
      if (item === undefined) break;
      offset = rangeStart(item) ?? offset;
      node = item;
    } else break;
  }
  return source.lines.linePos(offset).line;
}

function rangeStart(node: unknown): number | undefined {
  const range = (node as { range?: readonly number[] } | null | undefined)?.range;
  return range?.[0];
}

/** The one error a bad policy file gives: `file:line: field: message`. */
export function policyError(source: PolicySource, path: FieldPath, message: string, hint: string): KubectlBuildError {
  return fileError(source.name, lineOf(source, path), fieldText(path), message, hint);
}

export function fileError(file: string, line: number, field: string, message: string, hint: string): KubectlBuildError {
  const where = field === '' ? `${file}:${line}` : `${file}:${line}: ${field}`;
  return new KubectlBuildError('USAGE', `${where}: ${message}`, { hint });
}
