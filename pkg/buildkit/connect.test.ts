// Reaching a direct daemon address: what a user is told when nothing is there, and how soon.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { describeDialFailure, parseBuilderAddress } from './address.ts';
import { ControlClient } from './control.ts';

const servers: Server[] = [];
const accepted: Socket[] = [];
afterEach(async () => {
  accepted.splice(0).forEach((socket) => socket.destroy());
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

/** A TCP port that accepts connections and never says a word (a daemon that hangs). */
async function silentPort(): Promise<number> {
  const server = createServer((socket) => accepted.push(socket));
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** A port nothing listens on: one that was just free. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (!address || typeof address === 'string') throw new Error('no port');
  return address.port;
}

describe('describeDialFailure', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dial-'));

  it('says which of the usual mistakes it is', async () => {
    writeFileSync(join(dir, 'file'), '');
    expect(await describeDialFailure(parseBuilderAddress(`unix://${join(dir, 'missing.sock')}`))).toBe('the socket does not exist');
    expect(await describeDialFailure(parseBuilderAddress(`unix://${join(dir, 'file')}`))).toBe('the path is not a socket');
    expect(await describeDialFailure(parseBuilderAddress(`tcp://127.0.0.1:${await closedPort()}`))).toBe('nothing listens there (connection refused)');
    expect(await describeDialFailure(parseBuilderAddress(`tcp://127.0.0.1:${await silentPort()}`))).toMatch(/accepts connections but closes them before gRPC is set up/);
  });
});

describe('ControlClient.waitUntilReady on a direct address', () => {
  it('fails at once where nothing listens, well before its timeout', async () => {
    const client = new ControlClient(parseBuilderAddress(`tcp://127.0.0.1:${await closedPort()}`));
    const outcome = client.waitUntilReady(30_000).then(() => 'connected', (error: Error) => error.message);
    // Against the timeout, not a stopwatch: the outcome must come before 30 s are anywhere near.
    const first = await Promise.race([outcome, new Promise((resolve) => setTimeout(resolve, 5_000, 'still waiting'))]);
    client.close();
    expect(first).toMatch(/^cannot reach the BuildKit daemon at tcp:\/\/127\.0\.0\.1:\d+: nothing listens there \(connection refused\)$/);
  });

  it('waits out the timeout for a daemon that accepts and never answers, and says so', async () => {
    const client = new ControlClient(parseBuilderAddress(`tcp://127.0.0.1:${await silentPort()}`));
    const error = await client.waitUntilReady(300).then(() => undefined, (failure: Error) => failure);
    client.close();
    expect(error?.message).toMatch(/within 0\.3s$/);
  });
});

describe('ControlClient.waitUntilReady through a tunnel', () => {
  it('counts the connect timeout from the tunnel\'s opening, not from the dial (the opening is the API server\'s part)', async () => {
    let open: () => void = () => {};
    let openedYet = false;
    const opened = new Promise<void>((resolve) => (open = resolve)).then(() => void (openedYet = true));
    const address = { ...parseBuilderAddress(`tcp://127.0.0.1:${await silentPort()}`), opened };
    const client = new ControlClient(address, {}, new Promise<never>(() => {}));
    let failedBeforeOpening: boolean | undefined;
    const outcome = client.waitUntilReady(100).catch((error: Error) => {
      failedBeforeOpening = !openedYet;
      return error;
    });
    // The tunnel takes three times the timeout to open (a slow API server): the daemon's part is then timed.
    setTimeout(open, 300);
    const error = await outcome;
    client.close();
    expect(error?.message).toMatch(/within 0\.1s$/);
    expect(failedBeforeOpening).toBe(false);
  });
});
