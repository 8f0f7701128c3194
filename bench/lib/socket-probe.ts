// Runs inside the lab's host namespace and times what happens there, in JSON lines:
//   {"id":N,"op":"snapshot"}        SocketMonitor.snapshot() in this process (the helper's code, no D-Bus)
//   {"id":N,"op":"run","argv":[…]}  a command (`ss -tuapn`), from spawn to exit, its output read in full
// Answers {"id":N,"ms":…,"entries":…}. Started as `node --import tsx socket-probe.ts`; exits when
// stdin closes. Timing here, not from the benchmark's process, keeps `ip netns exec` out of `ss`'s time.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { SocketMonitor } from '../../electron/helper/sockets/monitor';

type Request = { id: number; op: 'snapshot' } | { id: number; op: 'run'; argv: string[] };

const monitor = new SocketMonitor();
const say = (o: object) => process.stdout.write(`${JSON.stringify(o)}\n`);

async function snapshot(): Promise<{ ms: number; entries: number; procScans: number }> {
  const start = performance.now();
  const entries = await monitor.snapshot();
  const ms = performance.now() - start;
  return { ms, entries: entries.length, procScans: monitor.stats().procScans };
}

/** Wall time of a command including its start, as someone running it waits; `entries` counts output lines. */
function runCommand(argv: string[]): Promise<{ ms: number; entries: number }> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const child = spawn(argv[0] as string, argv.slice(1), { stdio: ['ignore', 'pipe', 'ignore'] });
    let lines = 0;
    child.stdout.on('data', (chunk: Buffer) => {
      for (let at = chunk.indexOf(10); at !== -1; at = chunk.indexOf(10, at + 1)) lines++;
    });
    child.once('error', reject);
    child.once('close', (code) => {
      const ms = performance.now() - start;
      if (code !== 0) reject(new Error(`${argv.join(' ')} exited with ${code}`));
      else resolve({ ms, entries: lines });
    });
  });
}

createInterface({ input: process.stdin }).on('line', (line) => {
  const request = JSON.parse(line) as Request;
  const work = request.op === 'snapshot' ? snapshot() : runCommand(request.argv);
  work.then(
    (result) => say({ id: request.id, ...result }),
    (err: unknown) => say({ id: request.id, error: String(err) }),
  );
}).on('close', () => {
  monitor.stop();
  process.exit(0);
});
say({ ready: true });
