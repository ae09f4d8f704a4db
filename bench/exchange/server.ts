/**
 * The loopback services of the exchange benchmark, in their own process (the benchmark spawns actions synchronously,
 * which would stall servers living in its own event loop): the GitHub OIDC provider and STS. Every incoming request's
 * arrival time (absolute, high resolution) is recorded through node:diagnostics_channel; GET /arrivals on the control
 * port returns and clears them.
 */
import { subscribe } from 'node:diagnostics_channel';
import type { Server } from 'node:http';
import { listen, OidcProvider, sendJson } from '@airlock/testkit';
import { AwsEmulator } from '@airlock/testkit/aws';

const arrivals: number[] = [];
let control: Server | undefined;
subscribe('http.server.request.start', (message) => {
  const { server } = message as { server: Server };
  if (server !== control) arrivals.push(performance.timeOrigin + performance.now());
});

const oidc = await OidcProvider.start();
const aws = await AwsEmulator.start({
  oidc: { issuer: oidc.issuer },
  roles: [{ arn: 'arn:aws:iam::111122223333:role/bench', webIdentity: { subject: 'repo:acme/app:*' } }],
});
const ctl = await listen((_req, res) => {
  sendJson(res, 200, { arrivals: arrivals.splice(0), sessions: aws.sessions.length });
});
control = ctl.server;
process.stdout.write(
  `${JSON.stringify({ control: ctl.origin, issuer: oidc.issuer, sts: aws.endpoint, env: oidc.env() })}\n`,
);
process.on('SIGTERM', () => process.exit(0));
