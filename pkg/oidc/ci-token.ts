// The OIDC ID token a CI job can ask its CI for, as cosign asks it. GitHub Actions gives a job with
// `permissions: id-token: write` a token endpoint (ACTIONS_ID_TOKEN_REQUEST_URL) and a bearer token
// for it (ACTIONS_ID_TOKEN_REQUEST_TOKEN); the audience is a query parameter. (GitLab hands the
// token itself to the job, as SIGSTORE_ID_TOKEN, through `id_tokens`: nothing to fetch.) Messages
// never contain the bearer token or the ID token.
//
// Asking is a read, so it is tried again (3 attempts, as cosign's provider makes) on a refused or
// cut connection, and, unlike cosign, on a 5xx too (GitHub's endpoint has its bad minutes); a
// request that got no answer within the timeout is not repeated (a blackhole would cost it 3 times).
import { KubectlBuildError } from '../errors/index.ts';
import { isPassingStatus, READ_RETRIES, retryDelayMs, sleep } from '../registry/retry.ts';
import { describeFetchError, withTimeout } from './fetch.ts';

export interface GitHubActionsTokenRequest {
  /** ACTIONS_ID_TOKEN_REQUEST_URL. */
  readonly requestUrl: string;
  /** ACTIONS_ID_TOKEN_REQUEST_TOKEN. */
  readonly requestToken: string;
  /** The audience the token must carry ("sigstore" for Fulcio). */
  readonly audience: string;
  readonly signal?: AbortSignal;
  /** Each request's (--sign-timeout). */
  readonly timeoutMs?: number;
}

export const GITHUB_ACTIONS_SOURCE = 'GitHub Actions (ACTIONS_ID_TOKEN_REQUEST_URL)';

const OR_TOKEN = 'or pass a token with --identity-token (or SIGSTORE_ID_TOKEN)';

export async function gitHubActionsToken(request: GitHubActionsTokenRequest): Promise<string> {
  let url: URL;
  try {
    url = new URL(request.requestUrl);
  } catch {
    throw new KubectlBuildError('USAGE', 'ACTIONS_ID_TOKEN_REQUEST_URL is not a URL', { hint: 'leave it as GitHub Actions sets it, or unset it and pass --identity-token' });
  }
  url.searchParams.set('audience', request.audience);
  const timeoutMs = request.timeoutMs ?? 30_000;
  const endpoint = `GitHub Actions' OIDC token endpoint ${url.origin}`;
  for (let attempt = 1; ; attempt++) {
    const last = attempt === READ_RETRIES.attempts;
    const asked = attempt > 1 ? `, asked ${attempt} times` : '';
    let response: Response;
    try {
      response = await fetch(url, {
        headers: { authorization: `bearer ${request.requestToken}`, accept: 'application/json' },
        signal: withTimeout(timeoutMs, request.signal),
      });
    } catch (error) {
      if (request.signal?.aborted) throw new KubectlBuildError('CANCELLED', `cancelled while asking ${endpoint} for a token`, { hint: 'nothing was built or signed' });
      if ((error as { name?: string }).name === 'TimeoutError') {
        throw new KubectlBuildError('UNAVAILABLE', `${endpoint} did not answer within ${timeoutMs / 1000} s${asked}`, { hint: `raise --sign-timeout, ${OR_TOKEN}`, cause: error });
      }
      if (!last) {
        await sleep(retryDelayMs(READ_RETRIES, attempt));
        continue;
      }
      throw new KubectlBuildError('UNAVAILABLE', `cannot reach ${endpoint} (${describeFetchError(error)})${asked}`, { hint: `run the job again, ${OR_TOKEN}`, cause: error });
    }
    if (isPassingStatus(response.status) && !last) {
      await response.body?.cancel();
      await sleep(retryDelayMs(READ_RETRIES, attempt, response.headers.get('retry-after') ?? undefined));
      continue;
    }
    if (response.status >= 500) {
      throw new KubectlBuildError('UNAVAILABLE', `${endpoint} failed (HTTP ${response.status})${asked}`, { hint: `run the job again later, ${OR_TOKEN}` });
    }
    const answer = (await response.json().catch(() => ({}))) as { value?: unknown };
    if (!response.ok || typeof answer.value !== 'string' || answer.value === '') {
      throw new KubectlBuildError('UNAUTHENTICATED', `GitHub Actions gave no OIDC token for the audience "${request.audience}" (${response.ok ? 'no token in its answer' : `HTTP ${response.status}`})`, {
        hint: `give the job \`permissions: id-token: write\`, ${OR_TOKEN}`,
      });
    }
    return answer.value;
  }
}
