// The cosign key's scrypt, started before the program loads. Opening a key that
// `cosign generate-key-pair` wrote takes scrypt with cosign's parameters (~0.18 s of CPU, N=65536),
// and the build's Solve waits for the key (a wrong password must fail before anything is built).
// Started by the entries (cmd/fast-path.ts, cmd/sea-main.ts) as soon as they know a command will
// run, it works on libuv's thread pool while the main thread loads and compiles the program
// (~0.1 s), where the key loader (cmd/signing.ts) would otherwise start it only after yargs and the
// build's modules had loaded.
//
// Only a guess from the raw arguments: yargs has not parsed them yet. A guess can only waste work:
// the key loader takes the result only when the password, salt and parameters it derives with are
// the very ones used here (scrypt is a pure function of them), and computes it itself otherwise.
// Part of the entries: it must stay small and load nothing until it knows it has work to do.

import type { DeriveKey } from '../pkg/sign/keys.ts';

// An encrypted cosign key is ~650 bytes; anything far larger is not one.
const MAX_KEY_BYTES = 64 * 1024;

/** What a head start derived, for the key loader to take when its inputs are the same. */
export interface KeyHeadStart {
  readonly password: string;
  /** The salt as written in the key (base64). */
  readonly salt: string;
  readonly N: number;
  readonly r: number;
  readonly p: number;
  /** The derived 32 bytes; undefined when scrypt failed (the key loader then says why). */
  readonly derived: Promise<Buffer | undefined>;
}

/** How the entry hands the head start to the program it loads (a separate bundle, no shared module). */
const KEY_HEAD_START = Symbol.for('kubectl-build.key-head-start');

/** For a build: starts scrypt for the key it signs with, if it can, and leaves it for keyHeadStart(). */
export function startKeyHeadStart(plugin: string, args: readonly string[], env: NodeJS.ProcessEnv): void {
  if (plugin === 'build') (globalThis as Record<symbol, unknown>)[KEY_HEAD_START] = keyDerivation(args, env);
}

/** What startKeyHeadStart started in this process, if anything. */
export function keyHeadStart(): KeyHeadStart | undefined {
  return (globalThis as Record<symbol, KeyHeadStart | undefined>)[KEY_HEAD_START];
}

/**
 * scrypt as the key loader asks for it: the head start's result when the inputs are the ones it
 * used, else `derive` (which also says why, when scrypt itself fails).
 */
export function withKeyHeadStart(headStart: KeyHeadStart | undefined, derive: DeriveKey): DeriveKey {
  return async (password, salt, params) => {
    const same = headStart && headStart.password === password && headStart.salt === salt && headStart.N === params.N && headStart.r === params.r && headStart.p === params.p;
    return (same ? await headStart.derived : undefined) ?? derive(password, salt, params);
  };
}

/** Starts scrypt for the key `args` name, when they sign with an encrypted key whose password is in the environment. */
export function keyDerivation(args: readonly string[], env: NodeJS.ProcessEnv): KeyHeadStart | undefined {
  const password = env.COSIGN_PASSWORD;
  if (password === undefined || !args.some((arg) => arg === '--sign' || arg === '--sign=true')) return undefined;
  const pem = keyPem(lastValue(args, '--cosign-key') ?? env.COSIGN_KEY, env);
  if (!pem || !/-----BEGIN ENCRYPTED (SIGSTORE|COSIGN) PRIVATE KEY-----/.test(pem)) return undefined;
  let kdf: { name?: string; salt?: string; params?: { N?: number; r?: number; p?: number } } | undefined;
  try {
    kdf = (JSON.parse(Buffer.from(pem.replace(/-----(BEGIN|END)[^-]+-----/g, '').replace(/\s+/g, ''), 'base64').toString('utf8')) as { kdf?: typeof kdf }).kdf;
  } catch {
    return undefined;
  }
  const { N, r, p } = kdf?.params ?? {};
  if (kdf?.name !== 'scrypt' || typeof kdf.salt !== 'string' || typeof N !== 'number' || typeof r !== 'number' || typeof p !== 'number') return undefined;
  const { scrypt } = process.getBuiltinModule('node:crypto');
  const salt = kdf.salt;
  const derived = new Promise<Buffer | undefined>((resolve) => {
    try {
      scrypt(password, Buffer.from(salt, 'base64'), 32, { N, r, p, maxmem: 256 * N * r }, (error, key) => resolve(error ? undefined : key));
    } catch {
      resolve(undefined);
    }
  });
  return { password, salt, N, r, p, derived };
}

/** The value of the last `--name VALUE` or `--name=VALUE` before a `--` (yargs keeps the last one given). */
function lastValue(args: readonly string[], name: string): string | undefined {
  let value: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === '--') break;
    if (arg === name) value = args[++i];
    else if (arg.startsWith(`${name}=`)) value = arg.slice(name.length + 1);
  }
  return value;
}

/** The PEM of a key given as a file path, file://PATH or env://VAR; undefined for other schemes and what cannot be read. */
function keyPem(uri: string | undefined, env: NodeJS.ProcessEnv): string | undefined {
  if (!uri) return undefined;
  if (uri.startsWith('env://')) return env[uri.slice('env://'.length)];
  if (/^[a-z0-9]+:\/\//.test(uri) && !uri.startsWith('file://')) return undefined;
  const path = uri.startsWith('file://') ? uri.slice('file://'.length) : uri;
  const fs = process.getBuiltinModule('node:fs');
  try {
    // Only a regular file of a key's size: a pipe (/dev/stdin) must be left for the key loader to read.
    const stat = fs.statSync(path);
    return stat.isFile() && stat.size <= MAX_KEY_BYTES ? fs.readFileSync(path, 'utf8') : undefined;
  } catch {
    return undefined;
  }
}
