// --secret, as buildx reads it (util/buildflags ParseSecretSpecs; BuildKit's secretsprovider picks
// the source):
//   id=npmrc,src=$HOME/.npmrc        a file (src= or source=)
//   id=token,env=GITHUB_TOKEN        an environment variable
//   type=env,id=TOKEN[,src=VAR]      type=env: src names the variable (the ID when left out)
//   id=X                             the variable X when it is set, else the file X
// Keys are lower-cased; type must be file or env; any other key is refused.
import { fieldsOf, keyValueFields } from './attr-list.ts';
import { flagError } from './errors.ts';

const EXAMPLE = 'id=mysecret,src=./secret.txt';

/** What the flag says, before the environment is looked at. */
export interface SecretFlag {
  readonly id: string;
  readonly src: string;
  readonly env: string;
}

export function parseSecretFlag(value: string): SecretFlag | undefined {
  if (value === '') return undefined;
  let type = '';
  const secret = { id: '', src: '', env: '' };
  for (const [key, field] of keyValueFields('secret', value, fieldsOf('secret', value, EXAMPLE), EXAMPLE)) {
    switch (key.toLowerCase()) {
      case 'type':
        if (field !== 'file' && field !== 'env') throw flagError('secret', value, `type "${field}" is neither file nor env`, 'use type=file or type=env');
        type = field;
        break;
      case 'id':
        secret.id = field;
        break;
      case 'src':
      case 'source':
        secret.src = field;
        break;
      case 'env':
        secret.env = field;
        break;
      default:
        throw flagError('secret', value, `"${key}" is not one of its keys (type, id, src, source, env)`, `e.g. --secret ${EXAMPLE}`);
    }
  }
  if (type === 'env' && secret.env === '') return { id: secret.id, src: '', env: secret.src };
  return secret;
}

export type SecretSource = { readonly kind: 'file'; readonly path: string } | { readonly kind: 'env'; readonly name: string };

/** The source each secret is served from, as BuildKit's client chooses it; an ID is required. */
export function secretSourceOf(flag: SecretFlag, shown: string, isSet: (name: string) => boolean): { id: string; source: SecretSource } {
  if (flag.id === '') throw flagError('secret', shown, 'it has no id', `e.g. --secret ${EXAMPLE} or --secret id=TOKEN,env=TOKEN`);
  if (flag.env !== '') return { id: flag.id, source: { kind: 'env', name: flag.env } };
  if (flag.src !== '') return { id: flag.id, source: { kind: 'file', path: flag.src } };
  return { id: flag.id, source: isSet(flag.id) ? { kind: 'env', name: flag.id } : { kind: 'file', path: flag.id } };
}
