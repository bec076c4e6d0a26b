// The single executable's own first code. A Node 24 single executable starts from one CommonJS
// script (hack/bundle.ts bundles this file so, with the fast path and its facts inside: help and
// usage errors are answered here, with nothing else loaded). A command's code is the ES module
// bundle of dist/ (main.js and its chunks), embedded as assets: this serves those files to Node's
// module loader as if they lay in a folder named like the executable, checks each against the
// digest recorded when it was bundled, and runs the plugin the executable was started as.
import { createHash } from 'node:crypto';
import { registerHooks } from 'node:module';
import { getRawAsset } from 'node:sea';
import { pathToFileURL } from 'node:url';
import { startFast } from './fast-path.ts';
import { startKeyHeadStart } from './key-head-start.ts';
import type * as Main from './main.ts';

/** Each embedded file of dist/ and its sha256 (hex), written in by hack/bundle.ts. */
declare const KB_SEA_ASSETS: Readonly<Record<string, string>>;

const root = pathToFileURL(`${process.execPath}/`).href;

function damaged(file: string, problem: string): never {
  process.stderr.write(
    `error: this executable is damaged: ${file}, which it carries inside, ${problem}\n` +
      `hint: download the release archive again, check it against SHA256SUMS, and replace ${process.execPath}\n`,
  );
  process.exit(1);
}

function embedded(file: string): Buffer {
  const digest = KB_SEA_ASSETS[file] as string;
  let bytes: Buffer;
  try {
    bytes = Buffer.from(getRawAsset(file));
  } catch {
    damaged(file, 'is missing');
  }
  if (createHash('sha256').update(bytes).digest('hex') !== digest) damaged(file, 'does not match its recorded digest');
  return bytes;
}

// Our files resolve to URLs under `root`; anything else there (a native addon a package tries to
// require, and falls back from when it is absent) is left to Node, which does not find it.
const ours = (url: string | undefined) => url !== undefined && url.startsWith(root) && Object.hasOwn(KB_SEA_ASSETS, url.slice(root.length));

function serveEmbeddedFiles(): void {
  registerHooks({
    resolve(specifier, context, next) {
      const parent = context.parentURL;
      const url = parent?.startsWith(root) && /^\.\.?\//.test(specifier) ? new URL(specifier, parent).href : specifier;
      return ours(url) ? { url, format: 'module', shortCircuit: true } : next(specifier, context);
    },
    load(url, context, next) {
      return ours(url) ? { source: embedded(url.slice(root.length)), format: 'module', shortCircuit: true } : next(url, context);
    },
  });
}

const args = process.argv.slice(2);
// process.argv[1] is the name the executable was started as (a link's name, under krew or install.sh).
const invocation = startFast(process.argv[1] ?? '', args, process.env);
if (invocation) {
  // Before the program loads: its loading and scrypt then run side by side.
  if (!invocation.completion) startKeyHeadStart(invocation.plugin, args, process.env);
  serveEmbeddedFiles();
  void import(`${root}main.js`).then((main: typeof Main) => main.runPlugin(invocation, args));
}
