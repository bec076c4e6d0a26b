import { describe, expect, it } from 'vitest';
import { heavyStaticInputs, staticInputs, type BundleGraph } from './bundle-graph.ts';

const graph: BundleGraph = {
  outputs: {
    'dist/kubectl-build.js': {
      entryPoint: 'cmd/kubectl-build.ts',
      imports: [
        { path: 'dist/chunks/cli.js', kind: 'import-statement' },
        { path: 'dist/chunks/build-run.js', kind: 'dynamic-import' },
        { path: 'node:fs', kind: 'import-statement', external: true },
      ],
      inputs: { 'cmd/kubectl-build.ts': {} },
    },
    'dist/chunks/cli.js': { imports: [], inputs: { 'node_modules/yargs/index.mjs': {} } },
    'dist/chunks/build-run.js': {
      imports: [],
      inputs: { 'node_modules/@grpc/grpc-js/build/src/index.js': {}, 'node_modules/@sigstore/sign/dist/index.js': {} },
    },
  },
};

describe('staticInputs', () => {
  it('follows static imports and stops at dynamic ones', () => {
    expect([...staticInputs(graph, 'dist/kubectl-build.js')]).toEqual(['cmd/kubectl-build.ts', 'node_modules/yargs/index.mjs']);
  });
});

describe('heavyStaticInputs', () => {
  it('is empty when heavy packages load only through dynamic imports', () => {
    expect(heavyStaticInputs(graph, 'dist/kubectl-build.js')).toEqual([]);
  });

  it('names a heavy package that an entry loads statically', () => {
    const eager: BundleGraph = {
      outputs: {
        ...graph.outputs,
        'dist/kubectl-build.js': {
          ...graph.outputs['dist/kubectl-build.js']!,
          imports: [{ path: 'dist/chunks/build-run.js', kind: 'import-statement' }],
        },
      },
    };
    expect(heavyStaticInputs(eager, 'dist/kubectl-build.js')).toEqual([
      'node_modules/@grpc/grpc-js/build/src/index.js',
      'node_modules/@sigstore/sign/dist/index.js',
    ]);
  });

  it('does not mistake a package whose name merely starts like a heavy one', () => {
    const lookalike: BundleGraph = {
      outputs: { 'dist/x.js': { imports: [], inputs: { 'node_modules/opener/index.js': {}, 'node_modules/sigstore-like/a.js': {} } } },
    };
    expect(heavyStaticInputs(lookalike, 'dist/x.js')).toEqual([]);
  });
});
