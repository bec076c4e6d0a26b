// Counting distinct signers is a matching problem: a clause's signers on one side, the signing
// identities found on the other, an edge where an identity counts for a signer. One identity may
// satisfy several signer names (one key listed twice, overlapping regexps), yet it must count once,
// so the number of signers a clause has is the size of a maximum matching, not the number of names
// with some signature. Sizes are a handful, so Kuhn's augmenting paths do.

/**
 * For each left node (given as the right nodes it may take), the right node it got in one maximum
 * matching, or undefined.
 */
export function maximumMatching<R>(candidates: ReadonlyArray<readonly R[]>): Array<R | undefined> {
  const owner = new Map<R, number>();
  const assigned: Array<R | undefined> = candidates.map(() => undefined);
  const augment = (left: number, visited: Set<R>): boolean => {
    for (const right of candidates[left] ?? []) {
      if (visited.has(right)) continue;
      visited.add(right);
      const current = owner.get(right);
      if (current === undefined || augment(current, visited)) {
        owner.set(right, left);
        assigned[left] = right;
        return true;
      }
    }
    return false;
  };
  candidates.forEach((_, left) => augment(left, new Set()));
  return assigned;
}
