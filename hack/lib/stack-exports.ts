// What `hack/local-stack up` records about the services it started (state.json), and the export
// lines it prints for `eval`: one variable per thing a client needs, the registry password read
// from its 0600 file when the lines are evaluated, never printed itself.

export interface ServiceState {
  readonly pid: number;
  readonly command: string;
  readonly logFile: string;
}

export interface StackState {
  readonly registry: ServiceState & { readonly host: string; readonly username: string; readonly passwordFile: string };
  readonly buildkitd: ServiceState & { readonly address: string };
  readonly dockerConfigDir: string;
  readonly baseImage: string;
  /** The private Sigstore: its processes and what clients need. */
  readonly sigstore?: {
    readonly processes: ReadonlyArray<ServiceState & { readonly name: string }>;
    readonly fulcioUrl: string;
    readonly rekorUrl: string;
    readonly issuerUrl: string;
    readonly trustedRoot: string;
    readonly identity: string;
  };
  /** With the cluster: its admin kubeconfig, builder image, and the buildkitd.toml builders need for the registry. */
  readonly cluster?: {
    readonly kubeconfig: string;
    readonly buildkitImage: string;
    readonly buildkitdConfig: string;
    /** The cluster's kube-apiserver when the stack set it up: another one means it was restarted under the stack. */
    readonly apiServerPid?: number;
  };
  /** With --policy-controller: the TrustRoot that holds the Sigstore's keys (for trustRootRef). */
  readonly policyController?: { readonly trustRoot: string };
}

/** The `export` lines `up` prints on stdout. */
export function exportLines(state: StackState): string {
  const quote = (value: string) => `'${value.replaceAll("'", "'\\''")}'`;
  const daemon = state.cluster
    ? [
        `export KUBECONFIG=${quote(state.cluster.kubeconfig)}`,
        `export KUBECTL_BUILDKIT_IMAGE=${quote(state.cluster.buildkitImage)}`,
        `export BUILDKITD_CONFIG=${quote(state.cluster.buildkitdConfig)}`,
        // kubectl build goes through the cluster; this daemon stays reachable with --builder-addr.
        `export LOCAL_BUILDKIT_HOST=${quote(state.buildkitd.address)}`,
        'unset BUILDKIT_HOST',
      ]
    : [`export BUILDKIT_HOST=${quote(state.buildkitd.address)}`];
  return [
    ...daemon,
    `export REGISTRY=${quote(state.registry.host)}`,
    `export REGISTRY_USER=${quote(state.registry.username)}`,
    // The password itself is never printed: the line reads it from its 0600 file when evaluated.
    `export REGISTRY_PASSWORD="$(cat ${quote(state.registry.passwordFile)})"`,
    `export DOCKER_CONFIG=${quote(state.dockerConfigDir)}`,
    `export BASE_IMAGE=${quote(state.baseImage)}`,
    ...(state.sigstore
      ? [
          `export FULCIO_URL=${quote(state.sigstore.fulcioUrl)}`,
          `export REKOR_URL=${quote(state.sigstore.rekorUrl)}`,
          `export OIDC_ISSUER=${quote(state.sigstore.issuerUrl)}`,
          `export SIGSTORE_TRUSTED_ROOT=${quote(state.sigstore.trustedRoot)}`,
          `export SIGSTORE_IDENTITY=${quote(state.sigstore.identity)}`,
        ]
      : []),
    ...(state.policyController ? [`export POLICY_TRUST_ROOT=${quote(state.policyController.trustRoot)}`] : []),
  ].join('\n');
}
