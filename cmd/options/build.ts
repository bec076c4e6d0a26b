// `kubectl build` flags, named and shaped as `docker build` / `docker buildx build` has them.
import type { Argv } from 'yargs';
import { PROGRESS_MODES } from '../../pkg/build/options.ts';
import { registryTimeoutOption } from './registry.ts';

/**
 * A flag that may be given several times, one value each time, as docker's are: without nargs 1
 * yargs would also take the build context after `--build-arg A=1` as a second value.
 */
function repeatable(describe: string, alias?: string) {
  return { type: 'string' as const, array: true as const, nargs: 1, default: [] as string[], describe, ...(alias ? { alias } : {}) };
}

export function withBuildOptions<T>(parser: Argv<T>) {
  return parser
    .positional('path', {
      type: 'string',
      describe: 'Build context: a directory, or "-" to read a Dockerfile from stdin',
      default: '.',
    })
    .options({
      file: { alias: 'f', type: 'string', describe: 'Name of the Dockerfile (default: PATH/Dockerfile; "-" reads stdin)' },
      tag: repeatable('Name and optionally a tag (name:tag); repeatable', 't'),
      'build-arg': repeatable('Set a build-time variable (KEY=VALUE, or KEY to take it from the environment)'),
      label: repeatable('Set metadata on the image (KEY=VALUE; KEY alone is an empty label)'),
      target: { type: 'string', describe: 'Build this stage of a multi-stage Dockerfile' },
      platform: { type: 'string', describe: 'Target platform, e.g. linux/amd64' },
      push: { type: 'boolean', default: false, describe: 'Push the image (shorthand for --output type=registry)' },
      load: { type: 'boolean', describe: "Load the image into the builder node's container runtime (default in the cluster without --push or -o)" },
      output: repeatable('Output destination (type=image|registry|local|tar|oci|docker[,dest=...]; DIR for a folder, - for a tarball on stdout)', 'o'),
      'no-cache': { type: 'boolean', default: false, describe: 'Do not use the build cache' },
      pull: { type: 'boolean', default: false, describe: 'Always look for newer versions of base images' },
      secret: repeatable('Secret to expose to the build (id=mysecret,src=/local/file, id=X,env=VAR, or type=env,id=X)'),
      ssh: repeatable('SSH agent socket or keys to expose (default | ID=PATH[,PATH...])'),
      'cache-from': repeatable('Cache sources (REF[,REF...] or type=registry,ref=... | type=local,src=... | type=gha | type=s3,...)'),
      'cache-to': repeatable('Cache destination (type=registry,ref=...,mode=max | type=inline | type=gha | type=s3,...)'),
      network: { type: 'string', describe: 'Networking mode for RUN instructions (default | none | host)' },
      'add-host': repeatable('Add custom host-to-IP mappings (host=ip or host:ip, comma-separated; IPv6 may be [bracketed])'),
      allow: repeatable('Allow an extra privileged entitlement (network.host, security.insecure)'),
      progress: { type: 'string', choices: PROGRESS_MODES, default: 'auto', describe: 'Progress output' },
      iidfile: { type: 'string', describe: 'Write the image digest to this file' },
      'metadata-file': { type: 'string', describe: 'Write build result metadata (JSON) to this file' },
      'allow-http-registry': { type: 'boolean', default: false, describe: "Reach the registries of -t over plain HTTP when signing or assembling a list (cosign's flag; the builder needs http = true for them too)" },
      'registry-timeout': registryTimeoutOption(' (signing, list assembly)', "and how long the builder's push may go without news while its registry does not answer this machine either"),
    })
    .group(['file', 'tag', 'build-arg', 'label', 'target', 'platform', 'secret', 'ssh', 'network', 'add-host', 'allow'], 'Build:')
    .group(['push', 'load', 'output', 'iidfile', 'metadata-file', 'allow-http-registry', 'registry-timeout'], 'Output:')
    .group(['no-cache', 'pull', 'cache-from', 'cache-to'], 'Cache:')
    .options({
      attest: repeatable('Attestation parameters (type=provenance,mode=min|max | type=sbom[,generator=IMAGE][,disabled=true])'),
      provenance: { type: 'string', describe: 'Shorthand for --attest type=provenance: true, false, or its parameters (mode=max)' },
      sbom: { type: 'string', describe: 'Shorthand for --attest type=sbom: true, false, or its parameters (generator=IMAGE)' },
      annotation: repeatable('Add an annotation to the image ([index:|manifest[PLATFORM]:|index-descriptor:|manifest-descriptor:]KEY=VALUE)'),
    })
    .group(['attest', 'provenance', 'sbom', 'annotation'], 'Attestations and annotations:');
}

// Reaching a daemon directly, instead of through the cluster.
export function withBuilderAddressOptions<T>(parser: Argv<T>) {
  return parser
    .options({
      'builder-addr': { type: 'string', describe: 'BuildKit daemon address (unix:///path or tcp://host:port); default $BUILDKIT_HOST' },
      'tls-ca': { type: 'string', describe: 'CA certificate to verify a tcp:// builder address' },
      'tls-cert': { type: 'string', describe: 'Client certificate for a tcp:// builder address' },
      'tls-key': { type: 'string', describe: 'Client key for a tcp:// builder address' },
      // buildctl's --timeout; named for what it bounds, since `kubectl buildkit create --timeout` is the wait for the pods.
      'connect-timeout': { type: 'string', default: '10s', describe: 'How long to wait for a daemon that does not answer (e.g. 3s, 1m); a refused address fails at once' },
    })
    .group(['builder-addr', 'tls-ca', 'tls-cert', 'tls-key', 'connect-timeout'], 'Builder address:');
}
