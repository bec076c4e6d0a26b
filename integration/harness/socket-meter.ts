// A unix-socket relay between the CLI and buildkitd that counts the bytes the CLI sends: what a
// build uploads (its context), measured on the wire instead of taken from the CLI's own report.
import { createConnection, createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { onTestFinished } from 'vitest';
import { scratchDir } from './index.ts';

export interface SocketMeter {
  /** unix://PATH for BUILDKIT_HOST. */
  readonly address: string;
  /** Bytes sent by clients towards the daemon since the last reset. */
  sent(): number;
  reset(): void;
}

/** Relays to the daemon at `target` (unix://PATH), for the current test. */
export async function meterSocket(target: string): Promise<SocketMeter> {
  const path = join(scratchDir('meter'), 'relay.sock');
  let sent = 0;
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const daemon = createConnection(target.replace(/^unix:\/\//, ''));
    for (const socket of [client, daemon]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => {
        client.destroy();
        daemon.destroy();
      });
    }
    client.on('data', (chunk: Buffer) => (sent += chunk.length));
    client.pipe(daemon);
    daemon.pipe(client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, resolve);
  });
  onTestFinished(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { address: `unix://${path}`, sent: () => sent, reset: () => (sent = 0) };
}
