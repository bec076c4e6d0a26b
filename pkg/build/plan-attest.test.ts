import { describe, expect, it } from 'vitest';
import { parseAnnotations, parseAttests } from './attest-flags.ts';
import { splitIndexAnnotations } from './multiplatform.ts';
import { planBuild, type BuildOptions } from './plan.ts';
import { NO_BUILD_OPTIONS } from './test-options.ts';

const pushed: BuildOptions = { ...NO_BUILD_OPTIONS, tags: ['r.example/app:1'], push: true };

describe('planBuild: attestations, annotations, SOURCE_DATE_EPOCH', () => {
  it('adds no provenance to a pushed image unless asked (buildx would add mode=min)', () => {
    const plan = planBuild(pushed);
    expect(Object.keys(plan.frontendAttrs).filter((key) => key.startsWith('attest:'))).toEqual([]);
  });

  it('passes --provenance and --sbom as the frontend attributes BuildKit reads', () => {
    const plan = planBuild({ ...pushed, attests: parseAttests({ attest: ['type=sbom,generator=r.example/scanner:1'], provenance: 'mode=max' }) });
    expect(plan.frontendAttrs['attest:provenance']).toBe('type=provenance,mode=max');
    expect(plan.frontendAttrs['attest:sbom']).toBe('type=sbom,generator=r.example/scanner:1');
  });

  it('puts --annotation on every exporter, over what -o said', () => {
    const plan = planBuild({
      ...pushed,
      outputs: [{ type: 'oci', attrs: { dest: '/tmp/x.tar', 'annotation.a': 'from-o' } }],
      annotations: parseAnnotations(['a=flag', 'index:b=2']),
    });
    expect(plan.exporters.map((exporter) => [exporter.Type, exporter.Attrs['annotation.a'], exporter.Attrs['annotation-index.b']])).toEqual([
      ['oci', 'flag', '2'],
      ['image', 'flag', '2'],
    ]);
  });

  it('with SOURCE_DATE_EPOCH, passes it to the frontend and rewrites layer timestamps in image exporters', () => {
    const plan = planBuild({
      ...pushed,
      buildArgs: { SOURCE_DATE_EPOCH: '1700000000' },
      outputs: [
        { type: 'local', attrs: { dest: '/tmp/out' } },
        { type: 'docker', attrs: { dest: '/tmp/d.tar', 'rewrite-timestamp': 'false' } },
      ],
    });
    expect(plan.frontendAttrs['build-arg:SOURCE_DATE_EPOCH']).toBe('1700000000');
    expect(plan.exporters.map((exporter) => [exporter.Type, exporter.Attrs['rewrite-timestamp']])).toEqual([
      ['local', undefined],
      ['docker', 'false'], // the user's own choice stands
      ['image', 'true'],
    ]);
  });

  it('leaves timestamps alone without SOURCE_DATE_EPOCH', () => {
    expect(planBuild(pushed).exporters[0]?.Attrs['rewrite-timestamp']).toBeUndefined();
  });
});

describe('splitIndexAnnotations (several platforms: the CLI assembles the list)', () => {
  it('puts index: annotations on the list and keeps the others for each platform build', () => {
    expect(splitIndexAnnotations(parseAnnotations(['index:a=1', 'index-descriptor:b=2', 'manifest[linux/arm64]:c=3', 'd=4'], { os: 'linux', arch: 'amd64' }))).toEqual({
      listAnnotations: { a: '1' },
      platformAnnotations: { 'annotation-manifest[linux/arm64].c': '3', 'annotation.d': '4' },
    });
  });
});
