// 3. listen() to reachable: an allowed app starts listening on a new port; how long until a
// connection from outside gets through. The helper sees the socket in its next poll of the
// kernel's socket list and adds the port to the profile's set of allowed-app ports.
import { pathToFileURL } from 'node:url';
import { Stack } from '../test/support/stack';
import { APP_SCRIPT, startApp, startProber, whenPort } from './lib/outside';
import { msBetween } from './lib/line-process';
import { ANSWERING_PROFILES } from './lib/policies';
import { percentile } from './lib/stats';
import type { BenchContext, BenchSection, Benchmark } from './lib/types';

const FIRST_PORT = 41_000;

async function run(ctx: BenchContext): Promise<BenchSection> {
  const trials = ctx.quick ? 60 : 250;
  const stack = await Stack.start({
    links: 1,
    pollIntervalMs: 'default',
    policy: {
      version: 1,
      profiles: ANSWERING_PROFILES,
      apps: [{ id: 'bench-app', identity: { kind: 'script', interpreter: process.execPath, script: APP_SCRIPT }, action: 'allow', profiles: ['private', 'public'] }],
    },
  });
  const samples: number[] = [];
  try {
    const prober = await startProber(stack.lab);
    const app = await startApp(stack.lab);
    const host = stack.lab.links[0]?.hostV4 ?? '10.77.0.1';
    for (let i = 0; i < trials; i++) {
      const port = FIRST_PORT + i;
      const reachable = whenPort(prober, host, port, 'open');
      const listened = app.next((m) => m.op === 'listen' && m.port === port);
      app.send({ op: 'listen', port });
      const listenAt = (await listened).at as string;
      samples.push(msBetween(listenAt, await reachable));
      const closed = app.next((m) => m.op === 'close' && m.port === port);
      app.send({ op: 'close', port });
      await closed;
      if ((i + 1) % 50 === 0) ctx.log(`listen→reachable: ${i + 1}/${trials}`);
    }
  } finally {
    await stack.stop();
  }
  const p99 = percentile(samples, 99);
  return {
    id: 'listen-reachable',
    title: 'listen() to reachable',
    method: `An app allowed on both profiles (a Node script, identified by interpreter and script) listens on a new port in the lab's host namespace; `
      + `a prober in the outside namespace opens a new TCP connection to that port every 2 ms and notes when the first one is accepted. `
      + `Both processes read the same monotonic clock, so the figure is the time from listen() returning to the first accepted connection. `
      + `${trials} trials, each on a fresh port; the helper runs with its shipped default poll interval.`,
    figures: [{ label: 'listen() → first accepted connection', unit: 'ms', samples, percentiles: [50, 95, 99] }],
    ratios: [],
    targets: [{ label: 'listen() to reachable, p99', measured: p99, unit: 'ms', op: '<=', goal: 300 }],
    notes: [],
  };
}

export const benchmark: Benchmark = { id: 'listen-reachable', title: 'listen() to reachable', run };

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.log(JSON.stringify(await run({ quick: process.argv.includes('--quick'), log: (m) => console.error(m) }), null, 2));
}
