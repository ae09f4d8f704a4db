// The same action written with @airlock/core/action (runner protocol and node:http transport).
import { runAction } from '@airlock/core/action';

await runAction({
  name: 'bench',
  inputs: (input) => ({ url: input.string('url', { required: true }) }),
  run: async ({ url }, io) => {
    io.mask('not-a-real-secret-value');
    const res = await io.http().request({ url });
    io.log.info(`status ${res.status}`);
    io.setOutput('body', res.text());
    return undefined;
  },
});
