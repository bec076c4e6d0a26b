// Our image patterns (matched against `registry/repository`, and `registry/repository:tag` when an
// image is named by tag; `*` stops at `/`, `**` does not, `?` is one character) in each engine's
// own language, with what each cannot say.
import type { Rule } from '../policy/index.ts';
import { cannotExport } from './export.ts';

const hasTag = (pattern: string) => pattern.slice(pattern.lastIndexOf('/') + 1).includes(':');

/**
 * policy-controller globs match `name:tag` or `name@digest` (its mutating webhook turns tags into
 * digests before the check, so a tag in a pattern can never match), allow no `?` and no `@`.
 */
export function policyControllerGlobs(rule: Rule, warnings: string[]): string[] {
  return rule.images.map((pattern) => {
    if (pattern.includes('?')) throw cannotExport('policy-controller', rule, `its glob "${pattern}" uses ?, which policy-controller globs do not have`, 'write * instead');
    if (hasTag(pattern)) {
      throw cannotExport('policy-controller', rule, `its glob "${pattern}" names a tag, and policy-controller checks images by digest (its webhook resolves tags first)`, 'match the repository instead');
    }
    if (pattern.endsWith('*')) return pattern;
    // "name*" is the only glob that matches name@sha256:...: it also catches names that merely start so.
    warnings.push(`rule "${rule.label}": policy-controller globs cannot end at a repository name, so "${pattern}*" also covers repositories whose names start with "${pattern}"; they will need the same signers`);
    return `${pattern}*`;
  });
}

/** Kyverno's wildcards: `*` matches any characters, `/` included; images are matched with their tag or digest. */
export function kyvernoImageReferences(rule: Rule, warnings: string[]): string[] {
  return rule.images.flatMap((pattern) => {
    const translated = pattern.replaceAll('**', '\u0000');
    if (translated.includes('*')) {
      warnings.push(`rule "${rule.label}": Kyverno's * also matches "/", so "${pattern}" covers deeper repositories too; they will need the same signers`);
    }
    const kyverno = translated.replaceAll('\u0000', '*');
    if (hasTag(pattern) || pattern.endsWith('*')) return [kyverno];
    return [kyverno, `${kyverno}:*`, `${kyverno}@*`];
  });
}

/** OpenShift scopes: a registry, a repository (covering what lies under it) or one tag; no wildcards. */
export function openShiftScopes(rule: Rule): string[] {
  return rule.images.map((pattern) => {
    const scope = pattern.endsWith('/**') ? pattern.slice(0, -3) : pattern;
    if (/[*?]/.test(scope)) {
      throw cannotExport('openshift', rule, `its pattern "${pattern}" has wildcards, and OpenShift scopes name a registry, a repository or a tag`, 'write one rule per repository, or end a pattern with /** for everything under a path');
    }
    return scope;
  });
}
