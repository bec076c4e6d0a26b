// --cache-from / --cache-to, as buildx reads them (util/buildflags ParseCacheEntry,
// build.CreateCaches):
//   --cache-from r/app:cache               a value without `=` is a list of registry refs, one a field
//   --cache-from r/a:cache,r/b:cache       (so this is two registry caches)
//   --cache-to type=registry,ref=r/app:cache,mode=max
// Keys are lower-cased (not trimmed); `type` is required when the value has an `=`.
// CI backends take their credentials from the environment as buildx does: gha from the GitHub
// Actions runtime variables (and is left out, silently, when they are missing), s3 from the AWS
// variables or shared credentials file (credentialsFromEnvironment below).
import type { AttrList } from './attr-list.ts';
import { fieldsOf, keyValueFields } from './attr-list.ts';
import { flagError } from './errors.ts';

const EXAMPLE = 'type=registry,ref=REGISTRY/IMAGE:cache';

export function parseCacheFlag(flag: 'cache-from' | 'cache-to', value: string): AttrList[] {
  if (value === '') return [];
  if (!value.includes('=')) return fieldsOf(flag, value, EXAMPLE).map((field) => parseEntry(flag, field));
  return [parseEntry(flag, value)];
}

function parseEntry(flag: string, value: string): AttrList {
  const fields = fieldsOf(flag, value, EXAMPLE);
  if (fields.length === 1 && !(fields[0] as string).includes('=')) return { type: 'registry', attrs: { ref: fields[0] as string } };
  let type = '';
  const attrs: Record<string, string> = {};
  for (const [key, field] of keyValueFields(flag, value, fields, EXAMPLE)) {
    const name = key.toLowerCase();
    if (name === 'type') type = field;
    else attrs[name] = field;
  }
  if (type === '') throw flagError(flag, value, 'it names no type', `add type=, e.g. --${flag} ${EXAMPLE}`);
  return { type, attrs };
}

/** Credentials a CI cache backend reads from the environment, when the flag does not give them. */
export interface CacheEnvironment {
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The AWS shared credentials for the selected profile, when a file holds them. */
  readonly awsSharedCredentials?: AwsCredentials;
}

export interface AwsCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

/**
 * The entries as the daemon should get them: gha with token/url/url_v2 from the Actions runtime
 * (an entry that still lacks a token or a URL is dropped, as buildx drops it), s3 with AWS keys.
 */
export function withCiCredentials(entries: readonly AttrList[], environment: CacheEnvironment): AttrList[] {
  const result: AttrList[] = [];
  for (const entry of entries) {
    const attrs = { ...entry.attrs };
    if (entry.type === 'gha') {
      addGithubActions(attrs, environment.env);
      if (!attrs.token || (!attrs.url && !attrs.url_v2)) continue;
    }
    if (entry.type === 's3') addAws(attrs, awsCredentials(environment));
    result.push({ type: entry.type, attrs });
  }
  return result;
}

function addGithubActions(attrs: Record<string, string>, env: CacheEnvironment['env']): void {
  let version = attrs.version;
  if (version === undefined && /^(1|t|T|TRUE|true|True)$/.test(env.ACTIONS_CACHE_SERVICE_V2 ?? '')) version = '2';
  setUnlessGiven(attrs, 'token', env.ACTIONS_RUNTIME_TOKEN);
  if (version === '2') setUnlessGiven(attrs, 'url_v2', env.ACTIONS_RESULTS_URL);
  setUnlessGiven(attrs, 'url', env.ACTIONS_CACHE_URL ?? env.ACTIONS_RESULTS_URL);
}

// The AWS SDK's order: the environment, then the shared credentials file.
function awsCredentials(environment: CacheEnvironment): AwsCredentials | undefined {
  const { env } = environment;
  const accessKeyId = env.AWS_ACCESS_KEY_ID || env.AWS_ACCESS_KEY;
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY || env.AWS_SECRET_KEY;
  if (accessKeyId && secretAccessKey) return { accessKeyId, secretAccessKey, ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}) };
  return environment.awsSharedCredentials;
}

function addAws(attrs: Record<string, string>, credentials: AwsCredentials | undefined): void {
  // Keys given on the flag win, and then the environment's session token is not added either.
  if (attrs.access_key_id !== undefined && attrs.secret_access_key !== undefined) return;
  if (!credentials) return;
  if (attrs.access_key_id === undefined && credentials.accessKeyId) attrs.access_key_id = credentials.accessKeyId;
  if (attrs.secret_access_key === undefined && credentials.secretAccessKey) attrs.secret_access_key = credentials.secretAccessKey;
  if (attrs.session_token === undefined && credentials.sessionToken) attrs.session_token = credentials.sessionToken;
}

function setUnlessGiven(attrs: Record<string, string>, key: string, value: string | undefined): void {
  if (attrs[key] === undefined && value !== undefined) attrs[key] = value;
}

/** The `[profile]` section of an AWS shared credentials file (INI), as the SDK reads it. */
export function awsCredentialsFromIni(text: string, profile: string): AwsCredentials | undefined {
  let section = '';
  const values: Record<string, string> = {};
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[\s*(.+?)\s*\]$/.exec(line);
    if (header) {
      section = header[1] as string;
      continue;
    }
    const eq = line.indexOf('=');
    if (section === profile && eq > 0) values[line.slice(0, eq).trim().toLowerCase()] = line.slice(eq + 1).trim();
  }
  const accessKeyId = values.aws_access_key_id;
  const secretAccessKey = values.aws_secret_access_key;
  if (!accessKeyId || !secretAccessKey) return undefined;
  return { accessKeyId, secretAccessKey, ...(values.aws_session_token ? { sessionToken: values.aws_session_token } : {}) };
}
