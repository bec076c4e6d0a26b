// What an executable loads before its command runs: the static-import closure of its entry chunk
// in an esbuild metafile. Heavy packages (gRPC, Kubernetes, Sigstore, listr2) must stay out of that
// set and load through `await import()` only when a command needs them (start-up is most of what
// `--help` and quick commands cost).

/** The part of esbuild's Metafile this reads. */
export interface BundleGraph {
  readonly outputs: Record<
    string,
    {
      readonly entryPoint?: string;
      readonly imports: ReadonlyArray<{ readonly path: string; readonly kind: string; readonly external?: boolean }>;
      readonly inputs: Record<string, unknown>;
    }
  >;
}

export const HEAVY_PACKAGES = ['@grpc/grpc-js', '@grpc/proto-loader', '@kubernetes/client-node', 'sigstore', '@sigstore/', 'listr2', 'open'];

/** Inputs (source files and packages) loaded statically, before any dynamic import, from `output`. */
export function staticInputs(graph: BundleGraph, output: string): Set<string> {
  const inputs = new Set<string>();
  const seen = new Set<string>();
  const pending = [output];
  while (pending.length > 0) {
    const current = pending.pop() as string;
    if (seen.has(current)) continue;
    seen.add(current);
    const chunk = graph.outputs[current];
    if (!chunk) continue;
    for (const input of Object.keys(chunk.inputs)) inputs.add(input);
    for (const imported of chunk.imports) {
      if (imported.kind === 'import-statement' && !imported.external) pending.push(imported.path);
    }
  }
  return inputs;
}

/** Heavy packages that `output` loads statically; empty when start-up stays light. */
export function heavyStaticInputs(graph: BundleGraph, output: string): string[] {
  return [...staticInputs(graph, output)].filter((input) =>
    HEAVY_PACKAGES.some((name) => input.includes(`node_modules/${name}${name.endsWith('/') ? '' : '/'}`)),
  );
}
