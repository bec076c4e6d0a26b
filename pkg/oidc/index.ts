// OIDC identity for keyless signing: an interactive PKCE login, and token claims read without
// ever printing the token.
export { startLogin, type LoginOptions, type PendingLogin } from './login.ts';
export { checkToken, formatDuration, readClaims, type TokenCheck, type TokenClaims } from './token.ts';
