import { describe, expect, it } from 'vitest';
import { reportJson, reportTable } from './report.ts';
import { repositoryTable } from './repository-report.ts';
import type { ImageReport } from './verify-image.ts';

const digest = `sha256:${'a'.repeat(64)}`;

function image(overrides: Partial<ImageReport> = {}): ImageReport {
  return {
    image: 'reg.example.com/app:1',
    name: 'reg.example.com/app',
    tag: '1',
    digest,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    signatures: [
      {
        found: { format: 'legacy', location: `reg.example.com/app:sha256-${'a'.repeat(64)}.sig (layer 1)` },
        valid: true,
        signer: { kind: 'key', fingerprint: 'f'.repeat(64), keyName: 'dev' },
        log: { index: 42, integratedTime: new Date('2026-12-01T10:00:00Z'), logId: 'ab' },
        annotations: {},
        meets: ['dev'],
      },
      {
        found: { format: 'bundle', location: `reg.example.com/app@sha256:${'b'.repeat(64)}` },
        valid: false,
        annotations: {},
        problem: 'not signed by any trusted key',
        meets: [],
      },
    ],
    verdict: { outcome: 'fail', rules: ['release'], signersMet: ['dev'], missing: ['all of [dev, ci]: ci has no valid signature'] },
    ...overrides,
  };
}

describe('the verification report', () => {
  it('shows every signature with format, signer, log entry, what it meets and why it does not count', () => {
    const table = reportTable(image());
    expect(table).toContain(`reg.example.com/app:1@${digest}`);
    expect(table).toMatch(/FORMAT\s+SIGNER\s+LOG ENTRY\s+MEETS\s+STATUS/);
    expect(table).toMatch(/legacy\s+key ffffffffffffffff \(dev\)\s+#42 2026-12-01T10:00:00Z\s+dev\s+valid/);
    expect(table).toMatch(/bundle\s+unknown\s+-\s+-\s+invalid: not signed by any trusted key/);
    expect(table.trimEnd().split('\n').at(-1)).toBe('verdict: FAIL (rule "release"); signed by dev; missing: all of [dev, ci]: ci has no valid signature');
  });

  it('says why there is no verdict, and that an image has no signatures', () => {
    const undecided = reportTable(image({ signatures: [], verdict: { outcome: 'undecided', rules: [], signersMet: [], missing: [] }, error: { message: 'cannot reach the registry reg.example.com', hint: 'check it' } }));
    expect(undecided).toContain('could not decide: cannot reach the registry reg.example.com (check it)');
    expect(undecided).toMatch(/verdict: UNDECIDED\n$/);
    expect(reportTable(image({ signatures: [] }))).toContain('no signatures found');
  });

  it('writes the documented JSON shape, keys by fingerprint and times in ISO 8601', () => {
    const json = JSON.parse(reportJson([image()]));
    expect(json).toMatchObject({ apiVersion: 'kubectl-build.dev/v1alpha1', kind: 'VerificationReport' });
    expect(json.images[0]).toMatchObject({ image: 'reg.example.com/app:1', name: 'reg.example.com/app', tag: '1', digest, verdict: { outcome: 'fail' } });
    expect(json.images[0].signatures[0]).toEqual({
      format: 'legacy',
      location: `reg.example.com/app:sha256-${'a'.repeat(64)}.sig (layer 1)`,
      valid: true,
      signer: { kind: 'key', fingerprint: 'f'.repeat(64), key: 'dev' },
      log: { index: 42, integratedTime: '2026-12-01T10:00:00.000Z', logId: 'ab' },
      annotations: {},
      meets: ['dev'],
    });
    expect(json.images[0].signatures[1]).toMatchObject({ valid: false, problem: 'not signed by any trusted key' });
    expect(json.images[0].signatures[1].signer).toBeUndefined();
  });

  it('streams the repository view: the same JSON document, or a table row per tag', () => {
    let text = '';
    const out = { write: (chunk: string) => (text += chunk) };
    const json = repositoryTable(out, 'json');
    json.row(image());
    json.row(image({ tag: '2', image: 'reg.example.com/app:2' }));
    json.end();
    expect(JSON.parse(text).images.map((entry: { tag: string }) => entry.tag)).toEqual(['1', '2']);

    text = '';
    const empty = repositoryTable(out, 'json');
    empty.end();
    expect(JSON.parse(text).images).toEqual([]);

    text = '';
    const table = repositoryTable(out, 'table');
    table.row(image());
    table.row(image({ tag: '0', signatures: [], verdict: { outcome: 'fail', rules: ['release'], signersMet: [], missing: ['all of [dev, ci]: none found'] } }));
    table.end();
    const rows = text.trim().split('\n');
    expect(rows[0]).toMatch(/^TAG\s+DIGEST\s+PLATFORMS\s+SIGNERS\s+VERDICT\s+MISSING$/);
    expect(rows[1]).toMatch(/^1\s+sha256:aaaaaaaaaaaa\s+-\s+dev \(\+1 invalid\)\s+FAIL\s+all of \[dev, ci\]: ci has no valid signature$/);
    expect(rows[2]).toMatch(/^0\s+.*unsigned\s+FAIL/);
  });
});
