import { describe, expect, it } from 'vitest';
import type { RunningContainer } from '../kube/running-pods.ts';
import { evictions, runningReference, type SweptContainer } from './sweep.ts';

const DIGEST = `sha256:${'c'.repeat(64)}`;

describe('the sweep', () => {
  it('checks the repository the Pod names at the digest the kubelet says runs, in containerd’s and docker’s forms', () => {
    expect(runningReference({ image: '10.244.0.1:5000/app:1', imageId: `10.244.0.1:5000/app@${DIGEST}` })).toEqual({ registry: '10.244.0.1:5000', repository: 'app', digest: DIGEST });
    expect(runningReference({ image: 'reg.example.com/team/app:2', imageId: `docker-pullable://reg.example.com/team/app@${DIGEST}` })).toEqual({ registry: 'reg.example.com', repository: 'team/app', digest: DIGEST });
    expect(runningReference({ image: 'busybox', imageId: `docker.io/library/busybox@${DIGEST}` })).toEqual({ registry: 'registry-1.docker.io', repository: 'library/busybox', digest: DIGEST });
    // The same content pulled from two repositories: the node names the first; signatures live in the one the Pod names.
    expect(runningReference({ image: 'reg/unsigned:1', imageId: `reg/signed@${DIGEST}` })).toEqual({ registry: 'registry-1.docker.io', repository: 'reg/unsigned', digest: DIGEST });
    expect(runningReference({ image: `reg.example.com/app@${DIGEST}`, imageId: `reg.example.com/app@${DIGEST}` })).toEqual({ registry: 'reg.example.com', repository: 'app', digest: DIGEST });
    // An image loaded into the node: an image ID, not a registry digest.
    expect(runningReference({ image: 'app:dev', imageId: DIGEST })).toBeUndefined();
  });

  function row(namespace: string, pod: string, container: string, outcome: 'pass' | 'fail' | 'undecided'): SweptContainer {
    const running: RunningContainer = { namespace, pod, podUid: `${pod}-uid`, container, image: 'app:1', imageId: `reg/app@${DIGEST}` };
    return { container: running, reference: `reg/app@${DIGEST}`, verdict: { outcome, rules: ['r'], signersMet: [], missing: outcome === 'fail' ? ['all of [dev]: dev has no valid signature'] : [] } };
  }

  it('evicts a Pod once for its failing containers, never for undecided ones, never in kube-system', () => {
    const chosen = evictions([
      row('apps', 'web', 'main', 'fail'),
      row('apps', 'web', 'sidecar', 'fail'),
      row('apps', 'db', 'main', 'undecided'),
      row('apps', 'ok', 'main', 'pass'),
      row('kube-system', 'dns', 'main', 'fail'),
    ]);
    expect(chosen).toEqual([
      { namespace: 'apps', pod: 'web', podUid: 'web-uid', reason: `container main runs reg/app@${DIGEST}, which fails the signer policy: all of [dev]: dev has no valid signature` },
      { namespace: 'kube-system', pod: 'dns', podUid: 'dns-uid', reason: expect.any(String), skipped: 'kube-system is never swept' },
    ]);
  });
});
