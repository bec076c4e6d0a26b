// The symptoms issue 14 names, one each; integration/buildx-parity.test.ts compares whole corpora
// with buildx's own code.
import { describe, expect, it } from 'vitest';
import { parseAddHosts } from './add-host.ts';
import { csvFields } from './csv.ts';
import { parseCacheFlag, withCiCredentials, awsCredentialsFromIni } from './cache.ts';
import { parseBuildArgs, parseLabels } from './key-values.ts';
import { checkOutputs, outputTarget, parseOutputFlag } from './output.ts';
import { parseSecretFlag, secretSourceOf } from './secret.ts';
import { parseSshFlag, sshSources } from './ssh.ts';

describe('csvFields', () => {
  it('reads quoted fields, doubled quotes, and keeps empty fields', () => {
    expect(csvFields('a,"b,c","d""e",')).toEqual(['a', 'b,c', 'd"e', '']);
  });
  it('refuses a quote inside an unquoted field and an unclosed quote', () => {
    expect(() => csvFields('dest="a,b"')).toThrow(/quote/);
    expect(() => csvFields('"a')).toThrow(/not closed/);
  });
});

describe('--output', () => {
  it('reads -o - as a tarball on stdout and a plain value as a local folder', () => {
    expect(parseOutputFlag('-')).toEqual({ type: 'tar', attrs: { dest: '-' } });
    expect(parseOutputFlag('./out')).toEqual({ type: 'local', attrs: { dest: './out' } });
    expect(outputTarget({ type: 'tar', attrs: {} })).toEqual({ kind: 'stdout' });
    expect(outputTarget({ type: 'oci', attrs: { tar: 'true', dest: 'x.tar' } })).toEqual({ kind: 'file', path: 'x.tar' });
    expect(() => outputTarget({ type: 'oci', attrs: { tar: 'false', dest: 'dir' } })).toThrow(/tar=false/);
  });
  it('refuses local to stdout, two stdout outputs, and stdout on a terminal', () => {
    expect(() => outputTarget({ type: 'local', attrs: { dest: '-' } })).toThrow(/--output/);
    expect(() => checkOutputs([{ type: 'tar', attrs: {} }, { type: 'oci', attrs: { dest: '-' } }], false)).toThrow(/only one/);
    expect(() => checkOutputs([{ type: 'tar', attrs: {} }], true)).toThrow(/terminal/);
  });
});

describe('--cache-from / --cache-to', () => {
  it('reads a comma-separated list of refs as several registry caches', () => {
    expect(parseCacheFlag('cache-from', 'r/a:cache,r/b:cache')).toEqual([
      { type: 'registry', attrs: { ref: 'r/a:cache' } },
      { type: 'registry', attrs: { ref: 'r/b:cache' } },
    ]);
  });
  it('takes gha credentials from the Actions runtime and drops gha without them', () => {
    const env = { ACTIONS_RUNTIME_TOKEN: 't', ACTIONS_RESULTS_URL: 'https://results/', ACTIONS_CACHE_SERVICE_V2: 'true' };
    expect(withCiCredentials([{ type: 'gha', attrs: {} }], { env })).toEqual([{ type: 'gha', attrs: { token: 't', url: 'https://results/', url_v2: 'https://results/' } }]);
    expect(withCiCredentials([{ type: 'gha', attrs: {} }], { env: {} })).toEqual([]);
  });
  it('takes s3 keys from the environment, then the shared credentials file, never over given keys', () => {
    const env = { AWS_ACCESS_KEY_ID: 'id', AWS_SECRET_ACCESS_KEY: 'secret', AWS_SESSION_TOKEN: 'session' };
    expect(withCiCredentials([{ type: 's3', attrs: { bucket: 'b' } }], { env })[0]?.attrs).toEqual({ bucket: 'b', access_key_id: 'id', secret_access_key: 'secret', session_token: 'session' });
    expect(withCiCredentials([{ type: 's3', attrs: { access_key_id: 'a', secret_access_key: 'b' } }], { env })[0]?.attrs).toEqual({ access_key_id: 'a', secret_access_key: 'b' });
    const shared = awsCredentialsFromIni('[default]\naws_access_key_id = fid\naws_secret_access_key = fsecret\n', 'default');
    expect(withCiCredentials([{ type: 's3', attrs: {} }], { env: {}, ...(shared ? { awsSharedCredentials: shared } : {}) })[0]?.attrs).toEqual({ access_key_id: 'fid', secret_access_key: 'fsecret' });
  });
});

describe('--secret', () => {
  it('reads type=env with src as the variable, and a bare id as the variable when set, else the file', () => {
    expect(parseSecretFlag('type=env,id=TOKEN,src=GH_TOKEN')).toEqual({ id: 'TOKEN', src: '', env: 'GH_TOKEN' });
    const flag = parseSecretFlag('id=TOKEN');
    expect(flag && secretSourceOf(flag, 'id=TOKEN', () => true).source).toEqual({ kind: 'env', name: 'TOKEN' });
    expect(flag && secretSourceOf(flag, 'id=TOKEN', () => false).source).toEqual({ kind: 'file', path: 'TOKEN' });
  });
  it('refuses unknown keys and types, and a secret without an id', () => {
    expect(() => parseSecretFlag('id=a,path=b')).toThrow(/--secret "id=a,path=b"/);
    expect(() => parseSecretFlag('type=ssh,id=a')).toThrow(/neither file nor env/);
    expect(() => secretSourceOf({ id: '', src: 'x', env: '' }, 'src=x', () => false)).toThrow(/no id/);
  });
});

describe('--ssh', () => {
  it('serves an empty ID as default from the agent, and refuses an ID given twice', () => {
    expect(sshSources([parseSshFlag('=') ?? { id: '', paths: [] }], '/agent.sock')).toEqual([{ id: 'default', paths: ['/agent.sock'] }]);
    expect(() => sshSources([{ id: 'default', paths: [] }, { id: '', paths: [] }], '/agent.sock')).toThrow(/twice/);
  });
});

describe('--add-host', () => {
  it('reads host:ip and host=ip, bracketed IPv6, and comma lists as pflag does', () => {
    expect(parseAddHosts(['db:10.0.0.5', 'v6=[2001:db8::1]', 'h:::1', 'a=1.1.1.1,b=2.2.2.2', '"c=3.3.3.3,4.4.4.4"'])).toBe(
      'db=10.0.0.5,v6=2001:db8::1,h=::1,a=1.1.1.1,b=2.2.2.2,c=3.3.3.3,c=4.4.4.4',
    );
  });
  it('refuses a missing IP, a bad IP, and host-gateway, naming the value', () => {
    expect(() => parseAddHosts(['nohost'])).toThrow(/--add-host "nohost"/);
    expect(() => parseAddHosts(['h=999.1.1.1'])).toThrow(/not an IP/);
    expect(() => parseAddHosts(['h=host-gateway'])).toThrow(/host-gateway/);
  });
});

describe('--build-arg / --label', () => {
  it('gives a bare --label KEY an empty value, and a bare --build-arg KEY the variable when set', () => {
    expect(parseLabels(['maintainer', 'a=b=c'])).toEqual({ maintainer: '', a: 'b=c' });
    expect(parseBuildArgs(['SET', 'UNSET'], (key) => (key === 'SET' ? 'v' : undefined))).toEqual({ SET: 'v' });
  });
  it('refuses an empty key and an empty BUILDKIT_SYNTAX', () => {
    expect(() => parseLabels(['=v'])).toThrow(/--label "=v"/);
    expect(() => parseBuildArgs(['BUILDKIT_SYNTAX='], () => undefined)).toThrow(/BUILDKIT_SYNTAX/);
  });
});
