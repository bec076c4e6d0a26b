// --request-timeout: kubectl's value format (compared with kubectl itself in
// integration/request-timeout-kubectl.test.ts), and each API request bounded by it, against a
// stand-in API server on this machine that takes requests and never answers.
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { KubectlBuildError } from '../errors/index.ts';
import { getBuilder } from './builders.ts';
import { loadKubeConnection } from './config.ts';
import { parseRequestTimeout, timeoutWords } from './request-timeout.ts';
import { standInApi } from './testdata/stand-in-api.ts';

describe('parseRequestTimeout: kubectl\'s --request-timeout values, in milliseconds', () => {
  it.each([
    ['0', 0],
    ['7', 7_000],
    ['+5', 5_000],
    ['-0', 0],
    ['5s', 5_000],
    ['1m30s', 90_000],
    ['2h', 7_200_000],
    ['0.5s', 500],
    ['.5s', 500],
    ['5.s', 5_000],
    ['300ms', 300],
    ['1500us', 1.5],
    ['1h0m0.5s', 3_600_500],
  ])('%s is %d ms', (value, ms) => expect(parseRequestTimeout(value)).toBe(ms));

  it('takes a negative duration, as kubectl does, and bounds nothing with it', () => {
    expect(parseRequestTimeout('-3s')).toBe(0);
  });

  it('uses 30 s when the flag is not given (kubectl waits without a bound)', () => {
    expect(parseRequestTimeout(undefined)).toBe(30_000);
    expect(parseRequestTimeout('')).toBe(30_000);
  });

  it.each(['1.5', '-1', 'abc', '5 s', '5sec', 's', '.s', '1d', '1m30'])('refuses %s as a usage error, saying the format', (value) => {
    const refusal = (() => {
      try {
        parseRequestTimeout(value);
      } catch (error) {
        return error;
      }
      return undefined;
    })();
    expect(refusal).toBeInstanceOf(KubectlBuildError);
    expect(refusal).toMatchObject({ code: 'USAGE', message: `--request-timeout "${value}" is not a timeout` });
  });

  it('says a timeout in seconds', () => {
    expect([timeoutWords(2_000), timeoutWords(1_500), timeoutWords(90_000)]).toEqual(['2 s', '1.5 s', '90 s']);
  });
});

describe('an API request bounded by --request-timeout', () => {
  it('fails once the timeout passed, naming the API server, how long, what it was asked, and the flag', async () => {
    const { kubeconfig } = await standInApi(() => {});
    const connection = loadKubeConnection({ kubeconfig, requestTimeoutMs: 200 }, {}, tmpdir());
    const lookup = getBuilder(connection, 'b');
    await expect(lookup).rejects.toMatchObject({
      code: 'UNAVAILABLE',
      message: `the Kubernetes API at ${connection.config.getCurrentCluster()?.server} did not answer within 0.2 s when asked to read the builder "b"`,
      hint: expect.stringMatching(/raise --request-timeout/),
    });
  });
});
