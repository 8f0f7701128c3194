// 5. Socket snapshot: every TCP/UDP socket with the process holding it, at 10,000 sockets —
// Palisade's ListSockets as a client gets it (D-Bus, polkit, the compact wire form, the client's
// schema check and decode)
// and SocketMonitor.snapshot() in-process, against `ss -tuapn` on the same sockets.
import { pathToFileURL, fileURLToPath } from 'node:url';
import { Stack } from '../test/support/stack';
import type { FirewallClient } from '../electron/client/firewall-client';
import type { SocketEntry } from '../shared/runtime/sockets';
import { socketListCodec } from '../shared/dbus/socket-wire';
import { startBundledHelper } from './lib/helper-process';
import { buildHelperBundle, type HelperBundle } from '../test/support/helper-bundle';
import { LineProcess } from './lib/line-process';
import { standardMix, startSocketHolders, type SocketHolders } from './lib/socket-holders';
import { compareListings, holdersByInode, machineFds } from './lib/socket-ss';
import { median } from './lib/stats';
import type { BenchContext, BenchSection, Benchmark } from './lib/types';

const PROBE_SCRIPT = fileURLToPath(new URL('./lib/socket-probe.ts', import.meta.url));
const SS = ['ss', '-tuapn'];

interface Samples {
  dbusCold: number[];
  dbusWarm: number[];
  /** A tiny call (GetStatus): D-Bus there and back plus the helper's polkit check. */
  callFloor: number[];
  /** The client's share: JSON.parse of the wire answer, its schema check and decode, redone on the same answer. */
  clientParse: number[];
  clientCheck: number[];
  /** The helper's share before sending, redone here on the same list: the wire encoding and JSON.stringify. */
  helperEncode: number[];
  inProcessCold: number[];
  inProcessWarm: number[];
  ssCold: number[];
  ssWarm: number[];
  processStart: number[];
}

class Probe {
  private nextId = 1;
  private constructor(private readonly lines: LineProcess) {}

  static async start(stack: Stack): Promise<Probe> {
    const child = stack.lab.spawn('host', [process.execPath, '--import', 'tsx', PROBE_SCRIPT], { stdin: 'pipe' });
    return new Probe(await LineProcess.start(child));
  }

  async ask(request: { op: 'snapshot' } | { op: 'run'; argv: string[] }): Promise<{ ms: number; entries: number }> {
    const id = this.nextId++;
    const answer = this.lines.next((m) => m.id === id, 120_000);
    this.lines.send({ id, ...request });
    const reply = await answer;
    if (typeof reply.error === 'string') throw new Error(`probe: ${reply.error}`);
    return { ms: reply.ms as number, entries: reply.entries as number };
  }

  stop(): void {
    this.lines.kill();
  }
}

/** Milliseconds `work` takes. */
async function time(work: () => unknown): Promise<number> {
  const start = performance.now();
  await work();
  return performance.now() - start;
}

/**
 * The list as the helper's monitor holds it: every socket of a process sharing one process
 * object (and one app), where the decoded list has a copy on each. The encoder finds a shared
 * object by identity, so this is what the helper's encoding costs.
 */
function asTheMonitorHoldsThem(list: readonly SocketEntry[]): SocketEntry[] {
  const processes = new Map<string, SocketEntry['process']>();
  const apps = new Map<string, SocketEntry['app']>();
  return list.map((s) => {
    const held = { ...s };
    if (s.process) {
      const key = JSON.stringify(s.process);
      held.process = processes.get(key) ?? processes.set(key, s.process).get(key);
    }
    if (s.app) {
      const key = JSON.stringify(s.app);
      held.app = apps.get(key) ?? apps.set(key, s.app).get(key);
    }
    return held;
  });
}

/** One cycle: a freshly started helper and probe (cold), then warm rounds, the three ways interleaved. */
async function cycle(stack: Stack, bundle: HelperBundle, rounds: number, samples: Samples, counts: Map<string, number>, reversed: boolean): Promise<string> {
  await startBundledHelper(stack, bundle, undefined);
  const probe = await Probe.start(stack);
  let client: FirewallClient | undefined;
  try {
    client = await stack.client();
    let answer = '';
    let list: SocketEntry[] = [];
    const dbus = async () => {
      const start = performance.now();
      list = await (client as FirewallClient).call('ListSockets', { listening: false });
      const ms = performance.now() - start;
      counts.set('palisade', list.length);
      // What the helper sent: the list's wire form (encoding is deterministic, so re-encoding the
      // decoded list gives the same document).
      answer = JSON.stringify(socketListCodec.encode(list));
      return ms;
    };
    const inProcess = async () => {
      const { ms, entries } = await probe.ask({ op: 'snapshot' });
      counts.set('in-process', entries);
      return ms;
    };
    const ss = async () => {
      const { ms, entries } = await probe.ask({ op: 'run', argv: SS });
      counts.set('ss', entries - 1); // the header line
      return ms;
    };
    const ways = [
      { measure: dbus, cold: samples.dbusCold, warm: samples.dbusWarm },
      { measure: inProcess, cold: samples.inProcessCold, warm: samples.inProcessWarm },
      { measure: ss, cold: samples.ssCold, warm: samples.ssWarm },
    ];
    if (reversed) ways.reverse();
    for (const way of ways) way.cold.push(await way.measure());
    for (let round = 0; round < rounds; round++) {
      // Alternate the order so that no way always runs right after the same other one.
      for (const way of round % 2 === 0 ? ways : [...ways].reverse()) way.warm.push(await way.measure());
      samples.processStart.push((await probe.ask({ op: 'run', argv: ['true'] })).ms);
      samples.callFloor.push(await time(() => (client as FirewallClient).call('GetStatus', {})));
      let parsed: unknown;
      samples.clientParse.push(await time(() => { parsed = JSON.parse(answer); }));
      samples.clientCheck.push(await time(() => {
        const checked = socketListCodec.schema.safeParse(parsed);
        if (!checked.success) throw new Error(`the wire answer failed its schema: ${checked.error.message}`);
        return socketListCodec.decode(checked.data);
      }));
      const asHeld = asTheMonitorHoldsThem(list);
      samples.helperEncode.push(await time(() => JSON.stringify(socketListCodec.encode(asHeld))));
    }
    return answer;
  } finally {
    client?.close();
    probe.stop();
  }
}

async function checkSameSockets(stack: Stack): Promise<string> {
  const client = await stack.client();
  try {
    const [palisade, ss] = await Promise.all([
      client.call('ListSockets', { listening: false }),
      stack.lab.exec('host', ['ss', '-tuapne']).then((r) => holdersByInode(r.stdout)),
    ]);
    const c = compareListings(palisade, ss);
    const same = c.palisade === c.ss && c.onlyPalisade === 0 && c.onlySs === 0 && c.otherProcess === 0;
    return same
      ? `Same sockets: Palisade and \`ss -tuapne\` both list ${c.palisade.toLocaleString('en-US')} sockets, the same inodes, each with the same process.`
      : `MISMATCH: Palisade ${c.palisade} entries, ss ${c.ss}; only Palisade ${c.onlyPalisade}, only ss ${c.onlySs}, another process ${c.otherProcess}.`;
  } finally {
    client.close();
  }
}

async function run(ctx: BenchContext): Promise<BenchSection> {
  const cycles = ctx.quick ? 1 : 3;
  const rounds = ctx.quick ? 12 : 25;
  const samples: Samples = { dbusCold: [], dbusWarm: [], callFloor: [], clientParse: [], clientCheck: [], helperEncode: [], inProcessCold: [], inProcessWarm: [], ssCold: [], ssWarm: [], processStart: [] };
  const counts = new Map<string, number>();
  let answerBytes = 0;
  const notes: string[] = [];
  const bundle = await buildHelperBundle();
  let stack: Stack | undefined;
  let holders: SocketHolders | undefined;
  let mix;
  try {
    stack = await Stack.start({ links: 1 });
    mix = standardMix(stack.lab);
    holders = await startSocketHolders(stack.lab, mix);
    ctx.log(`socket snapshot: ${mix.total} sockets held by ${holders.pids.length} processes`);
    for (let c = 0; c < cycles; c++) {
      answerBytes = (await cycle(stack, bundle, rounds, samples, counts, c % 2 === 1)).length;
      ctx.log(`socket snapshot: cycle ${c + 1}/${cycles} done`);
    }
    notes.push(await checkSameSockets(stack));
    const machine = await machineFds();
    notes.push(`\`ss -p\` reads the fd table of every process on the machine: at the end of the run ${machine.processes} processes had ${machine.fds.toLocaleString('en-US')} descriptors open `
      + `(the holders' 10,000 sockets included), so its time, and this ratio, grow with whatever else runs. Palisade's warm snapshot reads none of them.`);
  } finally {
    holders?.stop();
    await stack?.stop();
    await bundle.dispose();
  }
  const countsText = [...counts].map(([who, n]) => `${who} ${n.toLocaleString('en-US')}`).join(', ');
  if (new Set(counts.values()).size !== 1) notes.push(`MISMATCH in entry counts: ${countsText}.`);
  else notes.push(`Entries per listing: ${countsText}.`);
  const ratio = median(samples.dbusWarm) / median(samples.ssWarm);
  const m = (xs: number[]) => median(xs).toFixed(1);
  const rest = median(samples.dbusWarm) - median(samples.inProcessWarm) - median(samples.helperEncode) - median(samples.clientParse) - median(samples.clientCheck) - median(samples.callFloor);
  notes.push(`Where a warm ListSockets goes (medians): the snapshot itself ${m(samples.inProcessWarm)} ms (as in-process); the helper's wire encoding and JSON.stringify ~${m(samples.helperEncode)} ms `
    + `(redone in the benchmark process); in the client, JSON.parse ${m(samples.clientParse)} ms and the wire schema's check with the decode into sockets ${m(samples.clientCheck)} ms `
    + `of a ${(answerBytes / 1e3).toFixed(0)} kB answer (the compact wire form of shared/dbus/socket-wire.ts); the D-Bus round trip with polkit's check, as any call pays it, ${m(samples.callFloor)} ms; `
    + (rest >= 1
      ? `the remaining ~${rest.toFixed(0)} ms are the answer's way through dbus-next and dbus-daemon (and whatever the measurements above miss).`
      : `that accounts for all of it: the answer's way through dbus-next and dbus-daemon is within the noise of these figures.`));
  return {
    id: 'socket-snapshot',
    title: 'Socket snapshot at 10,000 sockets',
    method: `${mix?.total.toLocaleString('en-US')} sockets in the lab's host namespace, held by four Node processes: `
      + `${mix?.listening.toLocaleString('en-US')} listening (TCP LISTEN and bound UDP, IPv4 and IPv6) and ${mix?.established.toLocaleString('en-US')} established TCP ends. `
      + `Palisade: \`ListSockets {listening:false}\` from a FirewallClient in the benchmark process to palisaded (the esbuild bundle, default poll interval) over a private system bus with polkit, `
      + `timed from the call to the checked result; and \`SocketMonitor.snapshot()\` in a process inside the namespace. `
      + `\`ss -tuapn\`: spawned by that process in the same namespace, wall time until its output is read and it exits. `
      + `${cycles} cycle(s) of a fresh helper and probe (the first call of each is "cold") and ${rounds} interleaved rounds (order alternating).`,
    figures: [
      { label: 'Palisade, ListSockets over D-Bus, warm', unit: 'ms', samples: samples.dbusWarm },
      { label: 'Palisade, ListSockets over D-Bus, cold (first call)', unit: 'ms', samples: samples.dbusCold },
      { label: '… of which the helper: wire encoding and JSON.stringify (redone here)', unit: 'ms', samples: samples.helperEncode },
      { label: '… of which the client: JSON.parse of the wire answer', unit: 'ms', samples: samples.clientParse },
      { label: '… of which the client: wire schema check (zod) and decode', unit: 'ms', samples: samples.clientCheck },
      { label: 'A tiny call (GetStatus): D-Bus round trip and polkit check', unit: 'ms', samples: samples.callFloor },
      { label: 'Palisade, SocketMonitor.snapshot() in-process, warm', unit: 'ms', samples: samples.inProcessWarm },
      { label: 'Palisade, SocketMonitor.snapshot() in-process, cold', unit: 'ms', samples: samples.inProcessCold },
      { label: '`ss -tuapn`, warm', unit: 'ms', samples: samples.ssWarm },
      { label: '`ss -tuapn`, cold (first run)', unit: 'ms', samples: samples.ssCold },
      { label: 'Starting a process (`true`), for scale', unit: 'ms', samples: samples.processStart },
    ],
    ratios: [
      { label: 'ListSockets over D-Bus ÷ ss -tuapn (warm medians)', value: ratio },
      { label: 'snapshot() in-process ÷ ss -tuapn (warm medians)', value: median(samples.inProcessWarm) / median(samples.ssWarm) },
      { label: 'ListSockets over D-Bus ÷ ss -tuapn (cold medians)', value: median(samples.dbusCold) / median(samples.ssCold) },
    ],
    targets: [{ label: 'Palisade snapshot ÷ ss -tuapn (D-Bus, warm medians)', measured: ratio, unit: '×', op: '<=', goal: 0.5 }],
    notes,
  };
}

export const benchmark: Benchmark = { id: 'socket-snapshot', title: 'Socket snapshot at 10,000 sockets', run };

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.log(JSON.stringify(await run({ quick: process.argv.includes('--quick'), log: (m) => console.error(m) }), null, 2));
}
