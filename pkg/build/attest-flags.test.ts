import { describe, expect, it } from 'vitest';
import { attestFrontendAttrs, parseAnnotations, parseAttests, withSourceDateEpoch } from './attest-flags.ts';

const linuxAmd64 = { os: 'linux', arch: 'amd64' };
const attrsOf = (flags: Parameters<typeof parseAttests>[0]) => attestFrontendAttrs(parseAttests(flags));

// Expected values restate buildx's CanonicalizeAttest + Attests.ToMap and BuildKit's attestation parser.
describe('--provenance, --sbom, --attest', () => {
  it('reads a boolean shorthand as buildx does: true asks for the type with BuildKit defaults, false asks for none', () => {
    expect(attrsOf({ attest: [], provenance: 'true' })).toEqual({ 'attest:provenance': 'type=provenance' });
    expect(attrsOf({ attest: [], provenance: '1' })).toEqual({ 'attest:provenance': 'type=provenance' });
    expect(attrsOf({ attest: [], provenance: 'false' })).toEqual({});
    expect(attrsOf({ attest: [], sbom: 'True' })).toEqual({ 'attest:sbom': 'type=sbom' });
    expect(attrsOf({ attest: [], sbom: 'F' })).toEqual({});
  });

  it('reads any other shorthand value as the type parameters', () => {
    expect(attrsOf({ attest: [], provenance: 'mode=max' })).toEqual({ 'attest:provenance': 'type=provenance,mode=max' });
    expect(attrsOf({ attest: [], sbom: 'generator=r.example/scanner:1' })).toEqual({ 'attest:sbom': 'type=sbom,generator=r.example/scanner:1' });
  });

  it('sends the parameters sorted by key, quoting a value that holds a comma', () => {
    expect(attrsOf({ attest: ['type=provenance,version=v1,mode=min,"builder-id=a,b"'] })).toEqual({
      'attest:provenance': 'type=provenance,"builder-id=a,b",mode=min,version=v1',
    });
  });

  it('keeps the first value given for a type: --attest before the shorthands', () => {
    expect(attrsOf({ attest: ['type=sbom,generator=img:1', 'type=sbom,generator=img:2'], sbom: 'false', provenance: 'mode=min' })).toEqual({
      'attest:sbom': 'type=sbom,generator=img:1',
      'attest:provenance': 'type=provenance,mode=min',
    });
    // disabled=true given first wins over a later enable.
    expect(attrsOf({ attest: ['type=provenance,disabled=true'], provenance: 'mode=max' })).toEqual({});
  });

  it('asks for nothing when no flag is given (no default provenance, unlike buildx: see the README)', () => {
    expect(attrsOf({ attest: [] })).toEqual({});
  });

  it('refuses a shorthand given without its value, as buildx does', () => {
    expect(() => parseAttests({ attest: [], provenance: '' })).toThrow(/--provenance needs a value/);
    expect(() => parseAttests({ attest: [], sbom: '' })).toThrow(/--sbom needs a value/);
  });

  it.each([
    ['attest', { attest: ['mode=max'] }, /invalid value "mode=max" for --attest: no attestation type/],
    ['attest', { attest: ['type=vex'] }, /invalid value "type=vex" for --attest: unknown attestation type "vex"/],
    ['attest', { attest: ['type=provenance,mode'] }, /invalid value "type=provenance,mode" for --attest: "mode" is not key=value/],
    ['attest', { attest: ['type=provenance,disabled=maybe'] }, /disabled=maybe is not a boolean/],
    ['attest', { attest: ['type=provenance,"mode=max'] }, /unbalanced double quotes/],
    ['provenance', { attest: [], provenance: 'mode=medium' }, /invalid value "mode=medium" for --provenance: unknown provenance mode "medium"/],
    ['provenance', { attest: [], provenance: 'version=v2' }, /unknown SLSA version "v2"/],
    ['provenance', { attest: [], provenance: 'yes' }, /invalid value "yes" for --provenance: "yes" is not key=value/],
    ['sbom', { attest: [], sbom: 'on' }, /invalid value "on" for --sbom/],
  ])('refuses a bad --%s before the build, naming the flag and the value', (_flag, flags, message) => {
    expect(() => parseAttests(flags)).toThrow(message);
  });
});

describe('--annotation', () => {
  it('maps each buildx form to the image exporter attribute', () => {
    expect(
      parseAnnotations(
        [
          'org.opencontainers.image.title=app',
          'index:org.opencontainers.image.vendor=acme',
          'manifest[linux/amd64]:com.example.arch=x86=64',
          'manifest,index-descriptor:com.example.both=1',
          'manifest-descriptor[linux/arm]:com.example.arm=1',
          'manifest[linux/arm64/v8]:com.example.arm64=1',
          'index[linux/amd64]:com.example.idx=1',
          'manifest[arm64]:com.example.lone=1',
          '',
        ],
        linuxAmd64,
      ),
    ).toEqual({
      'annotation.org.opencontainers.image.title': 'app',
      'annotation-index.org.opencontainers.image.vendor': 'acme',
      'annotation-manifest[linux/amd64].com.example.arch': 'x86=64',
      'annotation-manifest.com.example.both': '1',
      'annotation-index-descriptor.com.example.both': '1',
      'annotation-manifest-descriptor[linux/arm/v7].com.example.arm': '1',
      'annotation-manifest[linux/arm64].com.example.arm64': '1',
      // The index is one per image: its key carries no platform.
      'annotation-index.com.example.idx': '1',
      'annotation-manifest[linux/arm64].com.example.lone': '1',
    });
  });

  it.each([
    ['no-value', /invalid value "no-value" for --annotation: expected KEY=VALUE/],
    ['layer:k=v', /unknown annotation type "layer"/],
    ['Manifest:k=v', /"Manifest" is not a type with an optional \[platform\]/],
    ['manifest[linux/amd64:k=v', /is not a type with an optional \[platform\]/],
    ['com.example:k=v', /"com.example" is not a type/],
    ['manifest[linux//amd64]:k=v', /invalid platform "linux\/\/amd64"/],
  ])('refuses %s as buildx does, naming the flag and the value', (value, message) => {
    expect(() => parseAnnotations([value], linuxAmd64)).toThrow(message);
  });
});

describe('SOURCE_DATE_EPOCH', () => {
  it('comes from the environment unless a build argument sets it; empty is unset', () => {
    expect(withSourceDateEpoch({ A: '1' }, '1700000000')).toEqual({ A: '1', SOURCE_DATE_EPOCH: '1700000000' });
    expect(withSourceDateEpoch({ SOURCE_DATE_EPOCH: '5' }, '1700000000')).toEqual({ SOURCE_DATE_EPOCH: '5' });
    expect(withSourceDateEpoch({}, '')).toEqual({});
    expect(withSourceDateEpoch({}, undefined)).toEqual({});
  });

  it('refuses a value BuildKit cannot read as seconds', () => {
    expect(() => withSourceDateEpoch({}, '2024-01-01')).toThrow(/invalid SOURCE_DATE_EPOCH "2024-01-01"/);
    expect(() => withSourceDateEpoch({ SOURCE_DATE_EPOCH: '1.5' }, undefined)).toThrow(/SOURCE_DATE_EPOCH/);
  });
});
