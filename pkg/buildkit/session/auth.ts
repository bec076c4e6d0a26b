// Auth: registry credentials for the daemon's pulls and pushes, answered from a credential source
// (the docker config, a Kubernetes secret). Only the Credentials call is served: the daemon first
// asks GetTokenAuthority, and on UNIMPLEMENTED falls back to Credentials for a host.
import * as grpc from '@grpc/grpc-js';
import { errorMessage } from '../../errors/index.ts';
import { buildkitProtocol } from '../proto.ts';
import type { SessionService } from './session.ts';

export interface RegistryCredential {
  readonly username: string;
  /** A password, or an identity token (then username is empty). */
  readonly secret: string;
}

/** Credentials for a registry host ("registry-1.docker.io", "127.0.0.1:5000"), or undefined. */
export type CredentialSource = (host: string) => Promise<RegistryCredential | undefined>;

const unimplemented = (_call: unknown, callback: grpc.sendUnaryData<unknown>) =>
  callback({ code: grpc.status.UNIMPLEMENTED, details: 'not served by kubectl-build' }, null);

export function authService(credentials: CredentialSource): SessionService {
  return {
    definition: buildkitProtocol().services.auth,
    implementation: {
      Credentials: (
        call: grpc.ServerUnaryCall<{ Host: string }, unknown>,
        callback: grpc.sendUnaryData<{ Username: string; Secret: string }>,
      ) => {
        credentials(call.request.Host).then(
          (found) => callback(null, { Username: found?.username ?? '', Secret: found?.secret ?? '' }),
          (error: unknown) =>
            callback({ code: grpc.status.UNAVAILABLE, details: errorMessage(error) }, null),
        );
      },
      FetchToken: unimplemented,
      GetTokenAuthority: unimplemented,
      VerifyTokenAuthority: unimplemented,
    },
  };
}
