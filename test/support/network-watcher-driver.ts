// Runs the gateway network watcher in this process's network namespace (rtnetlink sockets belong
// to the namespace of the process that opens them) and prints one JSON line per event:
// {"type":"ready","networks":[…]} once started, then {"type":"change","networks":[…]} per change.
// Read failures go to stderr; the watcher keeps going.
import { GatewayWatcher } from '../../electron/helper/networks/gateway';
import type { ActiveNetwork } from '../../shared/runtime/networks';

const print = (type: 'ready' | 'change', networks: ActiveNetwork[]) => process.stdout.write(`${JSON.stringify({ type, networks })}\n`);

const watcher = new GatewayWatcher();
watcher.on('change', (networks: ActiveNetwork[]) => print('change', networks));
watcher.on('error', (err: Error) => process.stderr.write(`network watcher: ${err.message}\n`));
await watcher.start();
print('ready', watcher.current());

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => { void watcher.stop().then(() => process.exit(0)); });
}
