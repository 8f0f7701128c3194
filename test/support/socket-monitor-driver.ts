// Runs a SocketMonitor in the network namespace it is started in (a netlink socket sees the
// namespace of the process that opens it) and talks JSON lines, so a test can drive it from
// outside: `ip netns exec NS node --import tsx socket-monitor-driver.ts [pollIntervalMs [procRoot]]`.
//
// stdout: {"event":"ready","listening":[...]} once the first poll is done, then
//         {"event":"listening-changed","added":[...],"removed":[...],"current":[...]} per change,
//         {"event":"error","message":"..."} per failed poll, and
//         {"id":N,"result":...} or {"id":N,"error":"..."} per command.
// stdin:  {"id":N,"command":"listening"|"snapshot"|"stats"}; closing stdin stops the monitor,
//         and the process then exits on its own (the monitor holds nothing open).
import { createInterface } from 'node:readline';
import { SocketMonitor } from '../../electron/helper/sockets/monitor';

type Command = 'listening' | 'snapshot' | 'stats';

const send = (message: object) => process.stdout.write(`${JSON.stringify(message)}\n`);

const [interval, procRoot] = process.argv.slice(2);
const monitor = new SocketMonitor({ pollIntervalMs: Number(interval ?? 100), ...(procRoot ? { procRoot } : {}) });
monitor.on('listening-changed', (change) => send({ event: 'listening-changed', ...change }));
monitor.on('error', (err) => send({ event: 'error', message: err.message }));

async function answer(command: Command): Promise<unknown> {
  switch (command) {
    case 'listening': return monitor.listening();
    case 'snapshot': return monitor.snapshot();
    case 'stats': return monitor.stats();
  }
}

await monitor.start();
send({ event: 'ready', listening: monitor.listening() });

const input = createInterface({ input: process.stdin });
input.on('line', (line) => {
  const { id, command } = JSON.parse(line) as { id: number; command: Command };
  answer(command).then(
    (result) => send({ id, result }),
    (err: unknown) => send({ id, error: String(err) }),
  );
});
input.on('close', () => monitor.stop());
