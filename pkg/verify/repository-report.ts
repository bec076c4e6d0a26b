// The repository view's output, written row by row as tags are judged (nothing is held back until
// the end): a table of tag, digest, platforms, signers and verdict, or the same JSON document as a
// single verification (kind VerificationReport, one entry per tag) streamed element by element.
import { imageJson, REPORT_API_VERSION } from './report.ts';
import type { ImageReport } from './verify-image.ts';

export interface RowWriter {
  row(report: ImageReport): void;
  end(): void;
}

/** A verdict in a row of a listing: what does not pass stands out. */
export const ROW_OUTCOME_WORD = { pass: 'pass', fail: 'FAIL', undecided: 'UNDECIDED' } as const;
// Rows are written before the widest is known: fixed widths, wide enough for usual names.
const WIDTHS = [24, 19, 28, 28, 9];

export function repositoryTable(out: { write(text: string): unknown }, format: 'table' | 'json'): RowWriter {
  if (format === 'json') {
    let first = true;
    out.write(`{\n  "apiVersion": ${JSON.stringify(REPORT_API_VERSION)},\n  "kind": "VerificationReport",\n  "images": [`);
    return {
      row: (report) => {
        out.write(`${first ? '\n' : ',\n'}${JSON.stringify(imageJson(report), null, 2).replace(/^/gm, '    ')}`);
        first = false;
      },
      end: () => out.write(`${first ? '' : '\n  '}]\n}\n`),
    };
  }
  const line = (cells: string[]) => out.write(`${cells.map((cell, column) => (column < WIDTHS.length ? cell.padEnd(WIDTHS[column] ?? 0) : cell)).join('  ').trimEnd()}\n`);
  line(['TAG', 'DIGEST', 'PLATFORMS', 'SIGNERS', 'VERDICT', 'MISSING']);
  return {
    row: (report) => {
      const signers = new Set([...report.verdict.signersMet, ...report.signatures.filter((signature) => signature.valid && signature.meets.length === 0).map(() => 'other')]);
      const invalid = report.signatures.filter((signature) => !signature.valid).length;
      line([
        report.tag ?? '-',
        report.digest ? report.digest.slice(0, 19) : '-',
        report.indexPlatforms?.join(',') ?? '-',
        `${[...signers].join(',') || (report.signatures.length === 0 ? 'unsigned' : 'none valid')}${invalid > 0 ? ` (+${invalid} invalid)` : ''}`,
        ROW_OUTCOME_WORD[report.verdict.outcome],
        report.error ? report.error.message : report.verdict.missing.join('; '),
      ]);
    },
    end: () => undefined,
  };
}
