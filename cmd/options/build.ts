// `kubectl build` flags, named and shaped as `docker build` / `docker buildx build` has them.
import type { Argv } from 'yargs';
import { PROGRESS_MODES } from '../../pkg/build/options.ts';

export function withBuildOptions<T>(parser: Argv<T>) {
  return parser
    .positional('path', {
      type: 'string',
      describe: 'Build context: a directory, or "-" to read a Dockerfile from stdin',
      default: '.',
    })
    .options({
      file: { alias: 'f', type: 'string', describe: 'Name of the Dockerfile (default: PATH/Dockerfile; "-" reads stdin)' },
      tag: { alias: 't', type: 'string', array: true, default: [] as string[], describe: 'Name and optionally a tag (name:tag); repeatable' },
      'build-arg': { type: 'string', array: true, default: [] as string[], describe: 'Set a build-time variable (KEY=VALUE, or KEY to take it from the environment)' },
      label: { type: 'string', array: true, default: [] as string[], describe: 'Set metadata on the image (KEY=VALUE)' },
      target: { type: 'string', describe: 'Build this stage of a multi-stage Dockerfile' },
      platform: { type: 'string', describe: 'Target platform, e.g. linux/amd64' },
      push: { type: 'boolean', default: false, describe: 'Push the image (shorthand for --output type=registry)' },
      output: { alias: 'o', type: 'string', array: true, default: [] as string[], describe: 'Output destination (type=image|registry|local|tar|oci,dest=...)' },
      'no-cache': { type: 'boolean', default: false, describe: 'Do not use the build cache' },
      pull: { type: 'boolean', default: false, describe: 'Always look for newer versions of base images' },
      secret: { type: 'string', array: true, default: [] as string[], describe: 'Secret to expose to the build (id=mysecret,src=/local/file or id=X,env=VAR)' },
      ssh: { type: 'string', array: true, default: [] as string[], describe: 'SSH agent socket or keys to expose (default | id=path)' },
      'cache-from': { type: 'string', array: true, default: [] as string[], describe: 'Cache source (type=registry,ref=...)' },
      'cache-to': { type: 'string', array: true, default: [] as string[], describe: 'Cache destination (type=registry,ref=...,mode=max | type=inline)' },
      network: { type: 'string', describe: 'Networking mode for RUN instructions (default | none | host)' },
      'add-host': { type: 'string', array: true, default: [] as string[], describe: 'Add a custom host-to-IP mapping (host=ip)' },
      allow: { type: 'string', array: true, default: [] as string[], describe: 'Allow an extra privileged entitlement (network.host, security.insecure)' },
      progress: { type: 'string', choices: PROGRESS_MODES, default: 'auto', describe: 'Progress output' },
      iidfile: { type: 'string', describe: 'Write the image digest to this file' },
      'metadata-file': { type: 'string', describe: 'Write build result metadata (JSON) to this file' },
    })
    .group(['file', 'tag', 'build-arg', 'label', 'target', 'platform', 'secret', 'ssh', 'network', 'add-host', 'allow'], 'Build:')
    .group(['push', 'output', 'iidfile', 'metadata-file'], 'Output:')
    .group(['no-cache', 'pull', 'cache-from', 'cache-to'], 'Cache:');
}

// Reaching a daemon directly, instead of through the cluster.
export function withBuilderAddressOptions<T>(parser: Argv<T>) {
  return parser
    .options({
      'builder-addr': { type: 'string', describe: 'BuildKit daemon address (unix:///path or tcp://host:port); default $BUILDKIT_HOST' },
      'tls-ca': { type: 'string', describe: 'CA certificate to verify a tcp:// builder address' },
      'tls-cert': { type: 'string', describe: 'Client certificate for a tcp:// builder address' },
      'tls-key': { type: 'string', describe: 'Client key for a tcp:// builder address' },
    })
    .group(['builder-addr', 'tls-ca', 'tls-cert', 'tls-key'], 'Builder address:');
}
