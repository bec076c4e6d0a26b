// --output / -o, as buildx reads it (util/buildflags ParseExports, build.CreateExports):
//   -o ./out        a value that is one plain field and does not start with `type=` is a local folder
//   -o -            the image as a tarball on stdout
//   -o type=tar,dest=out.tar | type=oci | type=docker,dest=... | type=image,name=... | type=registry
// Keys are lower-cased and trimmed; `type` is required otherwise. tar, oci and docker write a
// tarball, to stdout when dest is left out.
import type { AttrList } from './attr-list.ts';
import { fieldsOf, keyValueFields } from './attr-list.ts';
import { flagError } from './errors.ts';

const EXAMPLE = 'type=local,dest=./out';
const TYPES = ['image', 'registry', 'local', 'tar', 'oci', 'docker'];

/** One -o value; undefined for an empty one (buildx skips it). */
export function parseOutputFlag(value: string): AttrList | undefined {
  if (value === '') return undefined;
  const fields = fieldsOf('output', value, EXAMPLE);
  if (fields.length === 1 && fields[0] === value && !value.startsWith('type=')) {
    return value === '-' ? { type: 'tar', attrs: { dest: '-' } } : { type: 'local', attrs: { dest: value } };
  }
  let type = '';
  const attrs: Record<string, string> = {};
  for (const [key, field] of keyValueFields('output', value, fields, EXAMPLE)) {
    const name = key.trim().toLowerCase();
    if (name === 'type') type = field;
    else attrs[name] = field;
  }
  if (type === '') throw flagError('output', value, 'it names no type', `add type=, e.g. --output ${EXAMPLE}`);
  return { type, attrs };
}

/** Where an exporter's result goes on this machine, as buildx decides it. */
export type OutputTarget = { readonly kind: 'directory'; readonly path: string } | { readonly kind: 'file'; readonly path: string } | { readonly kind: 'stdout' } | undefined;

export function outputTarget(output: AttrList): OutputTarget {
  const shown = describe(output);
  const dest = output.attrs.dest ?? '';
  switch (output.type) {
    case 'image':
    case 'registry':
      return undefined;
    case 'local':
      return directory(shown, 'local', dest);
    case 'tar':
      return file(dest);
    case 'oci':
    case 'docker':
      // tar= is read as a boolean; anything else (or nothing) means a tarball.
      // tar=false writes an OCI layout through a content store on the client, which we do not serve.
      if (parseGoBool(output.attrs.tar) === false) {
        throw flagError('output', shown, 'tar=false needs a client-side content store, which kubectl build does not serve', 'leave tar= out to get the same layout as a tarball (tar -xf it)');
      }
      // buildx loads type=docker without dest into the local Docker engine, which is not ours to reach.
      if (output.type === 'docker' && dest === '') throw flagError('output', shown, 'type=docker without dest loads into a local Docker engine, which kubectl build does not use', 'add dest=FILE, or use --load to load into the builder node');
      return file(dest);
    default:
      throw flagError('output', shown, `the type "${output.type}" is not one kubectl build can export`, `use one of ${TYPES.join(', ')}`);
  }
}

function directory(shown: string, type: string, dest: string): OutputTarget {
  if (dest === '') throw flagError('output', shown, `type=${type} needs a folder as dest`, `e.g. --output type=${type},dest=./out`);
  if (dest === '-') throw flagError('output', shown, `type=${type} writes a folder and cannot go to stdout`, 'use type=tar,dest=- to stream a tarball to stdout');
  return { kind: 'directory', path: dest };
}

function file(dest: string): OutputTarget {
  return dest === '' || dest === '-' ? { kind: 'stdout' } : { kind: 'file', path: dest };
}

/** Every output's target, checked together: only one may go to stdout, and never to a terminal. */
export function checkOutputs(outputs: readonly AttrList[], stdoutIsTerminal: boolean): void {
  const toStdout = outputs.filter((output) => outputTarget(output)?.kind === 'stdout');
  if (toStdout.length > 1) throw flagError('output', toStdout.map(describe).join('" and "'), 'only one output can go to stdout', 'give the others a dest=FILE');
  const first = toStdout[0];
  if (first && stdoutIsTerminal) {
    throw flagError('output', describe(first), 'it would write a tarball to the terminal', 'redirect stdout to a file (> image.tar) or add dest=FILE');
  }
}

/** Go's strconv.ParseBool: undefined when the text is not one of its spellings. */
export function parseGoBool(value: string | undefined): boolean | undefined {
  if (value === undefined) return undefined;
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(value)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(value)) return false;
  return undefined;
}

function describe(output: AttrList): string {
  return [`type=${output.type}`, ...Object.entries(output.attrs).map(([key, value]) => `${key}=${value}`)].join(',');
}
