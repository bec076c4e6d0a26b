// Values buildx or Docker accept and kubectl build refuses on purpose. Each entry is listed, with
// its reason, in docs/buildx-compatibility.md (the parity test checks that the table and the doc
// agree), so a refusal is never an accident.
import type { PeerCase } from './peer.ts';

export interface DeliberateRefusal {
  /** The id the doc's table uses. */
  readonly id: string;
  readonly applies: (c: PeerCase, ourError: string) => boolean;
}

export const DELIBERATE_REFUSALS: readonly DeliberateRefusal[] = [
  {
    // patternmatcher compiles a pattern's regular expression only when a path first reaches it, so
    // a broken exception pattern can go unnoticed; we compile every pattern up front.
    id: 'ignore-uncompilable-pattern',
    applies: (c, error) => (c.kind === 'ignore' || c.kind === 'walk') && /invalid pattern .*(unsupported escape|invalid escape|invalid character class|range|missing closing|trailing backslash)/.test(error),
  },
  {
    // buildx's ParseAttests takes any type and sends attest:TYPE to BuildKit, whose Dockerfile
    // frontend knows provenance and sbom only; we refuse any other type before the build.
    id: 'attest-unknown-type',
    applies: (c, error) => c.kind === 'attest' && /for --attest: unknown attestation type /.test(error),
  },
];

export function deliberateRefusal(c: PeerCase, ourError: string): DeliberateRefusal | undefined {
  return DELIBERATE_REFUSALS.find((refusal) => refusal.applies(c, ourError));
}
