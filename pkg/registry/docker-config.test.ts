import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { configKeyFor, dockerConfigCredentials, hostOfConfigKey, runCredentialHelper } from './docker-config.ts';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })));

function configDir(config: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), 'kb-docker-config-'));
  dirs.push(dir);
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
  return dir;
}

const basic = (user: string, password: string) => Buffer.from(`${user}:${password}`).toString('base64');

describe('dockerConfigCredentials', () => {
  it('reads auths entries by host, also when the key is a URL', async () => {
    const source = dockerConfigCredentials(
      configDir({ auths: { 'registry.example.com': { auth: basic('alice', 'p:w') }, 'https://other.example/v2/': { auth: basic('bob', 'x') } } }),
    );
    expect(await source('registry.example.com')).toEqual({ username: 'alice', secret: 'p:w' });
    expect(await source('other.example')).toEqual({ username: 'bob', secret: 'x' });
    expect(await source('unknown.example')).toBeUndefined();
  });

  it('maps Docker Hub hosts to docker\'s index key and passes identity tokens with no user name', async () => {
    const source = dockerConfigCredentials(configDir({ auths: { 'https://index.docker.io/v1/': { identitytoken: 'tok' } } }));
    expect(await source('registry-1.docker.io')).toEqual({ username: '', secret: 'tok' });
  });

  it('prefers a credHelpers entry, then the credsStore, over auths', async () => {
    const calls: string[] = [];
    const runner = async (helper: string, server: string) => {
      calls.push(`${helper}:${server}`);
      return { username: helper, secret: 's' };
    };
    const dir = configDir({ auths: { 'a.example': { auth: basic('file', 'f') } }, credHelpers: { 'a.example': 'ecr-login' }, credsStore: 'pass' });
    const source = dockerConfigCredentials(dir, runner);
    expect(await source('a.example')).toEqual({ username: 'ecr-login', secret: 's' });
    expect(await source('b.example')).toEqual({ username: 'pass', secret: 's' });
    expect(calls).toEqual(['ecr-login:a.example', 'pass:b.example']);
  });

  it('answers nothing when there is no config file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kb-docker-config-'));
    dirs.push(dir);
    expect(await dockerConfigCredentials(dir)('x.example')).toBeUndefined();
  });

  it('refuses a config that is not JSON with a clear error', async () => {
    const dir = configDir({});
    writeFileSync(join(dir, 'config.json'), '{ nope');
    await expect(dockerConfigCredentials(dir)('x.example')).rejects.toThrow(/config.json is not valid JSON/);
  });
});

describe('runCredentialHelper', () => {
  function helper(script: string): void {
    const bin = mkdtempSync(join(tmpdir(), 'kb-helper-'));
    dirs.push(bin);
    mkdirSync(bin, { recursive: true });
    writeFileSync(join(bin, 'docker-credential-test'), `#!/bin/sh\n${script}\n`);
    chmodSync(join(bin, 'docker-credential-test'), 0o755);
    process.env.PATH = `${bin}:${process.env.PATH}`;
  }

  it('reads the helper\'s JSON answer for the server on its stdin', async () => {
    helper('read server; printf \'{"ServerURL":"%s","Username":"u","Secret":"s-%s"}\' "$server" "$server"');
    expect(await runCredentialHelper('test', 'r.example')).toEqual({ username: 'u', secret: 's-r.example' });
  });

  it('treats "credentials not found" as no credentials, and <token> as an identity token', async () => {
    helper('read server; case "$server" in none*) echo "credentials not found in native keychain"; exit 1;; esac; echo \'{"Username":"<token>","Secret":"t"}\'');
    expect(await runCredentialHelper('test', 'none.example')).toBeUndefined();
    expect(await runCredentialHelper('test', 'r.example')).toEqual({ username: '', secret: 't' });
  });

  it('names a missing helper and how to fix it', async () => {
    await expect(runCredentialHelper('does-not-exist', 'r.example')).rejects.toThrow(/docker-credential-does-not-exist is not installed/);
  });
});

describe('config keys', () => {
  it('turns Docker Hub hosts into the index URL and strips schemes and paths', () => {
    expect(configKeyFor('registry-1.docker.io')).toBe('https://index.docker.io/v1/');
    expect(configKeyFor('127.0.0.1:5000')).toBe('127.0.0.1:5000');
    expect(hostOfConfigKey('http://127.0.0.1:5000/v2/')).toBe('127.0.0.1:5000');
  });
});
