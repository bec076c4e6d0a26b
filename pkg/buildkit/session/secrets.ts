// Secrets: the values behind RUN --mount=type=secret, read only when the daemon asks for them.
import * as grpc from '@grpc/grpc-js';
import { errorMessage } from '../../errors/index.ts';
import { buildkitProtocol } from '../proto.ts';
import type { SessionService } from './session.ts';

/** The secret's bytes, or undefined when there is no secret with that id. */
export type SecretSource = (id: string) => Promise<Buffer | undefined>;

export function secretsService(secrets: SecretSource): SessionService {
  return {
    definition: buildkitProtocol().services.secrets,
    implementation: {
      GetSecret: (call: grpc.ServerUnaryCall<{ ID: string }, unknown>, callback: grpc.sendUnaryData<{ data: Buffer }>) => {
        secrets(call.request.ID).then(
          (data) =>
            data === undefined
              ? callback({ code: grpc.status.NOT_FOUND, details: `secret ${call.request.ID} not found` }, null)
              : callback(null, { data }),
          (error: unknown) =>
            callback({ code: grpc.status.UNAVAILABLE, details: errorMessage(error) }, null),
        );
      },
    },
  };
}
