// Runs the helper's libnftables runner in the network namespace it is started in (libnftables
// talks to the kernel of the calling process's namespace) and talks JSON lines, so a test can
// drive it from outside: `ip netns exec NS node --import tsx libnftables-driver.ts`.
//
// stdout: {"ready":true} once the library is loaded, then {"id":N,"outcome":{...}} per run,
//         or {"id":N,"error":"..."} when the runner itself threw.
// stdin:  {"id":N,"run":{"commands":"...","json":true,"dryRun":false}}; closing stdin ends it.
import { createInterface } from 'node:readline';
import { Libnftables } from '../../electron/helper/libnftables';
import type { NftRun } from '../../electron/helper/nft-runner';

const send = (message: object) => process.stdout.write(`${JSON.stringify(message)}\n`);

const runner = await Libnftables.open();
send({ ready: true });
createInterface({ input: process.stdin }).on('line', (line) => {
  const { id, run } = JSON.parse(line) as { id: number; run: NftRun };
  runner.run(run).then(
    (outcome) => send({ id, outcome }),
    (err: unknown) => send({ id, error: String(err) }),
  );
});
