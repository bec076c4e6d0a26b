// OIDC identity for keyless signing: an interactive PKCE login, the token a CI job can ask its CI
// for, and token claims read without ever printing the token.
export { GITHUB_ACTIONS_SOURCE, gitHubActionsToken, type GitHubActionsTokenRequest } from './ci-token.ts';
export { startLogin, type LoginOptions, type PendingLogin } from './login.ts';
export { checkToken, formatDuration, readClaims, type TokenCheck, type TokenClaims } from './token.ts';
