// Runs a DropLogReader in the network namespace it is started in (NFLOG groups, like every
// netlink socket, belong to the namespace of the process that opens the socket; Node has no
// setns) and talks JSON lines, so a test can drive it from outside:
// `ip netns exec NS node --import tsx droplog-driver.ts [capacity]`.
//
// stdout: {"event":"ready","stats":{...}} once the group is bound (or failed: stats.failure),
//         {"event":"entries","entries":[...],"size":N} per batch, N = entries kept after it,
//         {"event":"log","message":"..."} per message the reader logs, and
//         {"id":N,"result":...} per command.
// stdin:  {"id":N,"command":"recent"|"stats"}; closing stdin stops the reader, and the process
//         then exits on its own (the stopped reader holds nothing open).
import { createInterface } from 'node:readline';
import { DropLogReader } from '../../electron/helper/droplog/reader';
import type { DropEntry } from '../../shared/runtime/droplog';

const send = (message: object) => process.stdout.write(`${JSON.stringify(message)}\n`);

const capacity = Number(process.argv[2] ?? 1000);
const reader = new DropLogReader({ capacity, log: (message) => send({ event: 'log', message }) });
reader.on('entries', (entries: DropEntry[]) => send({ event: 'entries', entries, size: reader.recent(Number.MAX_SAFE_INTEGER).length }));

await reader.start();
send({ event: 'ready', stats: reader.stats() });

const input = createInterface({ input: process.stdin });
input.on('line', (line) => {
  const { id, command } = JSON.parse(line) as { id: number; command: 'recent' | 'stats' };
  send({ id, result: command === 'recent' ? reader.recent(Number.MAX_SAFE_INTEGER) : reader.stats() });
});
input.on('close', () => { void reader.stop(); });
