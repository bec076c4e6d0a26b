// The OIDC ID token a CI job can ask its CI for, as cosign asks it. GitHub Actions gives a job with
// `permissions: id-token: write` a token endpoint (ACTIONS_ID_TOKEN_REQUEST_URL) and a bearer token
// for it (ACTIONS_ID_TOKEN_REQUEST_TOKEN); the audience is a query parameter. (GitLab hands the
// token itself to the job, as SIGSTORE_ID_TOKEN, through `id_tokens`: nothing to fetch.) Messages
// never contain the bearer token or the ID token.
import { KubectlBuildError } from '../errors/index.ts';
import { describeFetchError, withTimeout } from './fetch.ts';

export interface GitHubActionsTokenRequest {
  /** ACTIONS_ID_TOKEN_REQUEST_URL. */
  readonly requestUrl: string;
  /** ACTIONS_ID_TOKEN_REQUEST_TOKEN. */
  readonly requestToken: string;
  /** The audience the token must carry ("sigstore" for Fulcio). */
  readonly audience: string;
  readonly signal?: AbortSignal;
  readonly timeoutMs?: number;
}

export const GITHUB_ACTIONS_SOURCE = 'GitHub Actions (ACTIONS_ID_TOKEN_REQUEST_URL)';

export async function gitHubActionsToken(request: GitHubActionsTokenRequest): Promise<string> {
  let url: URL;
  try {
    url = new URL(request.requestUrl);
  } catch {
    throw new KubectlBuildError('USAGE', 'ACTIONS_ID_TOKEN_REQUEST_URL is not a URL', { hint: 'leave it as GitHub Actions sets it, or unset it and pass --identity-token' });
  }
  url.searchParams.set('audience', request.audience);
  let response: Response;
  try {
    response = await fetch(url, {
      headers: { authorization: `bearer ${request.requestToken}`, accept: 'application/json' },
      signal: withTimeout(request.timeoutMs ?? 30_000, request.signal),
    });
  } catch (error) {
    throw new KubectlBuildError('UNAVAILABLE', `cannot reach GitHub Actions' OIDC token endpoint ${url.origin} (${describeFetchError(error)})`, {
      hint: 'run again; or pass a token with --identity-token (or SIGSTORE_ID_TOKEN)',
      cause: error,
    });
  }
  const answer = (await response.json().catch(() => ({}))) as { value?: unknown };
  if (!response.ok || typeof answer.value !== 'string' || answer.value === '') {
    throw new KubectlBuildError('UNAUTHENTICATED', `GitHub Actions gave no OIDC token for the audience "${request.audience}" (${response.ok ? 'no token in its answer' : `HTTP ${response.status}`})`, {
      hint: 'give the job `permissions: id-token: write`, or pass a token with --identity-token (or SIGSTORE_ID_TOKEN)',
    });
  }
  return answer.value;
}
