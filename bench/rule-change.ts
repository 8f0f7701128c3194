// 1. Rule change latency: from `palisade port allow` (and from the D-Bus call under it) to the
// rule being in the kernel, with 10, 100 and 1,000 rules already in force; against `ufw allow`
// with as many rules, in a lab namespace of its own. Both commands return once the kernel holds
// the rule; each trial is checked against the kernel's listing afterwards, outside the timing.
import { spawn } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { Stack, bundledCli } from '../test/support/stack';
import { Lab } from '../test/lab/lab';
import { UfwInNamespace, ufwAvailable } from './lib/ufw';
import { portAllowRules } from './lib/policies';
import { median } from './lib/stats';
import type { BenchContext, BenchSection, Benchmark, Figure, Ratio, TargetCheck } from './lib/types';

const SIZES = [10, 100, 1000] as const;
const NEW_PORT = 45_000;

/** Wall time of a command, in ms. */
function timed(argv: readonly string[], env?: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(argv[0] as string, argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'], ...(env ? { env } : {}) });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.once('error', reject);
    child.once('close', (code) => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      if (code === 0) resolve(ms); else reject(new Error(`${argv.join(' ')} exited ${code}: ${stderr}`));
    });
  });
}

async function palisade(size: number, trials: number): Promise<{ dbus: number[]; cli: number[] }> {
  const stack = await Stack.start({ links: 1, pollIntervalMs: 'default', policy: { version: 1, portRules: portAllowRules(size) } });
  const dbus: number[] = [];
  const cli: number[] = [];
  try {
    const client = await stack.client();
    const cliFile = await bundledCli();
    const inKernel = async (port: number) => {
      // A plain allow rule is an element of each profile's port map (shared/compiler/port-maps.ts).
      if (!(await stack.nft(['list', 'map', 'inet', 'palisade', 'public_port_allow'])).includes(`tcp . ${port} :`)) throw new Error(`port ${port} is not in the kernel after the call returned`);
    };
    // One untimed change first: the helper's first call after its start compiles the code path
    // (V8), which a long-running helper has done long before anyone changes a rule.
    await client.call('ChangePolicy', { edits: [{ op: 'addPortRule', rule: { action: 'allow', protocol: 'tcp', ports: { from: NEW_PORT - 1, to: NEW_PORT - 1 }, profiles: ['private', 'public'] } }] });
    for (let i = 0; i < trials; i++) {
      const port = NEW_PORT + 2 * i;
      const started = process.hrtime.bigint();
      await client.call('ChangePolicy', { edits: [{ op: 'addPortRule', rule: { action: 'allow', protocol: 'tcp', ports: { from: port, to: port }, profiles: ['private', 'public'] } }] });
      dbus.push(Number(process.hrtime.bigint() - started) / 1e6);
      await inKernel(port);
      cli.push(await timed([process.execPath, cliFile, 'port', 'allow', `${port + 1}/tcp`], stack.bus.env()));
      await inKernel(port + 1);
    }
    client.close();
  } finally {
    await stack.stop();
  }
  return { dbus, cli };
}

async function ufw(size: number, trials: number): Promise<number[]> {
  const lab = await Lab.create({ links: 1 });
  const ufwNs = new UfwInNamespace(lab);
  const samples: number[] = [];
  try {
    await ufwNs.enableWithRules(portAllowRules(size).map((r) => r.ports.from));
    await ufwNs.exec(`ufw allow ${NEW_PORT - 1}/tcp >/dev/null`); // untimed, like Palisade's first call
    for (let i = 0; i < trials; i++) {
      const port = NEW_PORT + i;
      // Timed inside the namespace, so entering it (ip netns exec, unshare, mounts) is not counted.
      const out = await ufwNs.exec(`bash -c 's=$(date +%s%N); ufw allow ${port}/tcp >/dev/null; e=$(date +%s%N); echo $((e - s))'`);
      samples.push(Number(out.trim()) / 1e6);
      const listing = (await lab.exec('host', ['iptables', '-S', 'ufw-user-input'])).stdout;
      if (!listing.includes(`--dport ${port} `)) throw new Error(`ufw: port ${port} is not in the kernel after ufw allow returned`);
    }
  } finally {
    ufwNs.dispose();
    await lab.destroy();
  }
  return samples;
}

async function run(ctx: BenchContext): Promise<BenchSection> {
  const trials = ctx.quick ? 5 : 20;
  const skipUfw = ufwAvailable();
  const figures: Figure[] = [];
  const ratios: Ratio[] = [];
  const targets: TargetCheck[] = [];
  for (const size of SIZES) {
    ctx.log(`rule change: ${size} rules`);
    const ufwSamples = skipUfw ? undefined : await ufw(size, trials);
    const ours = await palisade(size, trials);
    const label = `${size.toLocaleString('en-US')} rules`;
    figures.push({ label: `Palisade, D-Bus ChangePolicy, ${label}`, unit: 'ms', samples: ours.dbus });
    figures.push({ label: `Palisade, \`palisade port allow\`, ${label}`, unit: 'ms', samples: ours.cli });
    if (ufwSamples) {
      figures.push({ label: `ufw, \`ufw allow\`, ${label}`, unit: 'ms', samples: ufwSamples });
      ratios.push({ label: `ufw allow ÷ palisade port allow, ${label}`, value: median(ufwSamples) / median(ours.cli) });
      ratios.push({ label: `ufw allow ÷ D-Bus call, ${label}`, value: median(ufwSamples) / median(ours.dbus) });
      if (size === 1000) {
        // The call the desktop app makes; the CLI adds a Node start (bench/findings.md), so it is reported beside.
        targets.push({ label: 'rule change at 1,000 rules: times faster than ufw allow (D-Bus call)', measured: median(ufwSamples) / median(ours.dbus), unit: '×', op: '>=', goal: 10 });
        targets.push({ label: 'rule change at 1,000 rules: times faster than ufw allow (palisade CLI process)', measured: median(ufwSamples) / median(ours.cli), unit: '×', op: '>=', goal: 10 });
      }
    }
  }
  return {
    id: 'rule-change',
    title: 'Rule change latency',
    method: 'Each trial adds one inbound TCP allow rule for a new port, with 10, 100 or 1,000 such rules already in force, and the clock stops when the command returns; '
      + 'both commands return only once the kernel holds the rule, which is checked against the kernel\'s listing after each trial, outside the timing. '
      + 'Palisade: the helper in the lab\'s host namespace on a private system bus with a real polkitd; the D-Bus figure is the `ChangePolicy` call from a connected client, '
      + 'the CLI figure is the whole `palisade port allow PORT/tcp` process (the esbuild bundle under Node, as installed); one untimed change comes first, as the helper\'s first call after its start compiles the code path. '
      + 'ufw 0.36 (Debian) runs in a namespace of its own with a private copy of /etc/ufw; its rules are written into user.rules in ufw\'s own format and loaded by `ufw enable`, '
      + `then \`ufw allow PORT/tcp\` is timed inside the namespace. ${trials} trials per size.`,
    figures,
    ratios,
    targets,
    notes: skipUfw ? [`ufw was not measured: ${skipUfw}.`] : [],
  };
}

export const benchmark: Benchmark = { id: 'rule-change', title: 'Rule change latency', run };

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.log(JSON.stringify(await run({ quick: process.argv.includes('--quick'), log: (m) => console.error(m) }), null, 2));
}
