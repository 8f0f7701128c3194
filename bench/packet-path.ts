// 4. Packet path cost: new TCP connections per second into the lab's host namespace with no
// firewall, with Palisade holding 1,000 rules, and with ufw holding the same 1,000 rules. The
// port served is the last of the 1,000, so every new connection passes all the others first.
// A table that only tracks connections shows what being stateful costs before any rule.
import { availableParallelism } from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Lab } from '../test/lab/lab';
import { Stack } from '../test/support/stack';
import { LineProcess } from './lib/line-process';
import { portAllowRules } from './lib/policies';
import { median } from './lib/stats';
import { UfwInNamespace, ufwAvailable } from './lib/ufw';
import type { BenchContext, BenchSection, Benchmark, Figure } from './lib/types';

const SERVER = fileURLToPath(new URL('./lib/http-server.cjs', import.meta.url));
export const PORT = 8080;
const RULES = 1000;
const CONNECTIONS = 32;
/**
 * The server and wrk each have a CPU of their own (on a machine with at least two). Left to the
 * scheduler, they sometimes shared one for a whole run, which moved a setup's rate by a third
 * from one run to the next; the packets a side sends are filtered in its own CPU's softirq, so
 * pinning also fixes where the firewall's work is done.
 */
const pinned = (cpu: number, argv: string[]) => (availableParallelism() >= 2 ? ['taskset', '-c', String(cpu), ...argv] : argv);
/** The table of the conntrack-only lab: it tracks connections and accepts established ones, nothing else. */
export const CONNTRACK_ONLY_TABLE = 'table inet bench_conntrack {\n chain input {\n  type filter hook input priority filter; policy accept;\n  ct state established,related accept\n  ct state invalid drop\n }\n}\n';
const CONNTRACK_ONLY = 'connection tracking only, no rules';

interface Setup {
  name: string;
  lab: Lab;
  /** Forgets tracked connections between runs, so a run does not start with the last one's. */
  between(): Promise<void>;
  close(): Promise<void>;
}

/** The policy of the Palisade lab: 1,000 plain allow rules, the served port last. */
export function packetPathPolicy() {
  const served = { id: 'bench-http', action: 'allow' as const, protocol: 'tcp' as const, ports: { from: PORT, to: PORT }, profiles: ['private' as const, 'public' as const] };
  return { version: 1 as const, portRules: [...portAllowRules(RULES - 1), served] };
}

/** Lets the outside client open many connections quickly and starts the server in the host namespace. */
export async function prepareServer(lab: Lab): Promise<void> {
  // wrk opens tens of thousands of connections a run: the client may reuse ports in TIME_WAIT.
  await lab.exec('outside', ['sysctl', '-q', '-w', 'net.ipv4.ip_local_port_range=1024 65535', 'net.ipv4.tcp_tw_reuse=1']);
  await LineProcess.start(lab.spawn('host', pinned(1, [process.execPath, SERVER, String(PORT)])));
}

async function noFirewall(): Promise<Setup> {
  const lab = await Lab.create({ links: 1 });
  await prepareServer(lab);
  return { name: 'no firewall', lab, between: async () => {}, close: () => lab.destroy() };
}

/**
 * The floor any stateful firewall stands on: a table that only tracks connections and accepts
 * established ones. "No firewall" creates no conntrack entries; every stateful firewall does.
 */
async function conntrackOnly(): Promise<Setup> {
  const lab = await Lab.create({ links: 1 });
  await lab.exec('host', ['nft', '-f', '-'], { input: CONNTRACK_ONLY_TABLE });
  await prepareServer(lab);
  return { name: CONNTRACK_ONLY, lab, between: () => lab.flushConntrack(), close: () => lab.destroy() };
}

async function palisade(): Promise<Setup> {
  const stack = await Stack.start({ links: 1, pollIntervalMs: 'default', policy: packetPathPolicy() });
  await prepareServer(stack.lab);
  return { name: `Palisade, ${RULES.toLocaleString('en-US')} rules`, lab: stack.lab, between: () => stack.lab.flushConntrack(), close: () => stack.stop() };
}

async function ufw(): Promise<Setup> {
  const lab = await Lab.create({ links: 1 });
  const ufwNs = new UfwInNamespace(lab);
  await ufwNs.enableWithRules([...portAllowRules(RULES - 1).map((r) => r.ports.from), PORT]);
  await prepareServer(lab);
  return { name: `ufw, ${RULES.toLocaleString('en-US')} rules`, lab, between: () => lab.flushConntrack(), close: async () => { ufwNs.dispose(); await lab.destroy(); } };
}

/** One wrk run from outside: requests per second, each on a new connection. */
export async function connectionRate(lab: Lab, seconds: number): Promise<number> {
  const url = `http://${lab.links[0]?.hostV4 ?? '10.77.0.1'}:${PORT}/`;
  const { stdout } = await lab.exec('outside', pinned(0, ['wrk', '-t1', `-c${CONNECTIONS}`, `-d${seconds}s`, '-H', 'Connection: close', url]), { timeoutMs: (seconds + 30) * 1000 });
  const rate = /Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1];
  if (!rate) throw new Error(`wrk printed no rate:\n${stdout}`);
  const errors = /Socket errors: (.*)/.exec(stdout)?.[1];
  if (errors && /connect [1-9]|timeout [1-9]/.test(errors)) throw new Error(`wrk had connection errors (${errors}); the figures would be wrong:\n${stdout}`);
  return Number(rate);
}

async function run(ctx: BenchContext): Promise<BenchSection> {
  const rounds = ctx.quick ? 3 : 7;
  const seconds = ctx.quick ? 3 : 5;
  const skipUfw = ufwAvailable();
  const setups: Setup[] = [];
  const samples = new Map<string, number[]>();
  try {
    setups.push(await noFirewall(), await conntrackOnly(), await palisade());
    if (!skipUfw) setups.push(await ufw());
    for (let round = 0; round < rounds; round++) {
      // Rotate the order each round so drift (heat, other load) falls on every setup alike.
      for (let k = 0; k < setups.length; k++) {
        const setup = setups[(round + k) % setups.length] as Setup;
        await setup.between();
        const rate = await connectionRate(setup.lab, seconds);
        samples.set(setup.name, [...(samples.get(setup.name) ?? []), rate]);
      }
      ctx.log(`packet path: round ${round + 1}/${rounds}`);
    }
  } finally {
    for (const s of setups) await s.close();
  }
  const figures: Figure[] = [...samples].map(([label, s]) => ({ label, unit: 'conn/s', samples: s }));
  const base = median(samples.get('no firewall') ?? []);
  const ours = median(samples.get(`Palisade, ${RULES.toLocaleString('en-US')} rules`) ?? []);
  const theirs = samples.get(`ufw, ${RULES.toLocaleString('en-US')} rules`);
  return {
    id: 'packet-path',
    title: 'Packet path cost',
    method: `wrk (Debian) in the outside namespace opens new TCP connections to a Node server in the host namespace (\`Connection: close\`: one request per connection, ${CONNECTIONS} at a time; wrk and the server pinned to a CPU each) `
      + `for ${seconds} s per run; the figure is connections per second. The setups are separate labs measured in turns, ${rounds} rounds, the order rotating each round. `
      + `Palisade and ufw each hold ${RULES.toLocaleString('en-US')} inbound allow rules with the served port last; conntrack is flushed before each run. `
      + `A fourth lab holds only a table that tracks connections and accepts established ones (\`ct state established,related accept\`): the cost of being stateful at all, which "no firewall" does not pay.`,
    figures,
    ratios: [
      { label: 'Palisade ÷ no firewall', value: ours / base },
      { label: 'connection tracking only ÷ no firewall (the floor of any stateful firewall)', value: median(samples.get(CONNTRACK_ONLY) ?? []) / base },
      { label: 'Palisade ÷ connection tracking only', value: ours / median(samples.get(CONNTRACK_ONLY) ?? []) },
      ...(theirs ? [{ label: 'ufw ÷ no firewall', value: median(theirs) / base }] : []),
    ],
    targets: [{ label: 'connection rate at 1,000 rules, share of no firewall', measured: (ours / base) * 100, unit: '%', op: '>=', goal: 95 }],
    notes: skipUfw ? [`ufw was not measured: ${skipUfw}.`] : [],
  };
}

export const benchmark: Benchmark = { id: 'packet-path', title: 'Packet path cost', run };

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.log(JSON.stringify(await run({ quick: process.argv.includes('--quick'), log: (m) => console.error(m) }), null, 2));
}
