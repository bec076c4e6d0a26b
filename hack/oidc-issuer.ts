// hack/oidc-issuer.ts --client-id ID --identity EMAIL [--port N]: our test OIDC issuer as a process
// of its own (so that it is started, logged and stopped by PID like every other service). It prints
// "listening on URL" once it accepts connections, and stops on SIGTERM or SIGINT.
import { parseArgs } from 'node:util';
import { startOidcIssuer } from './lib/oidc-issuer.ts';

const { values } = parseArgs({
  options: {
    'client-id': { type: 'string', default: 'sigstore' },
    identity: { type: 'string' },
    port: { type: 'string', default: '0' },
  },
});
if (!values.identity) {
  process.stderr.write('usage: hack/oidc-issuer.ts --identity EMAIL [--client-id ID] [--port N]\n');
  process.exit(2);
}

const issuer = await startOidcIssuer({ clientId: values['client-id'], identity: values.identity, port: Number(values.port) });
process.stdout.write(`oidc-issuer: listening on ${issuer.url}\n`);
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => void issuer.close().then(() => process.exit(0)));
}
