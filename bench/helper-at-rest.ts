// 6. The helper at rest: palisaded's CPU share and resident memory while 10,000 sockets are open
// and nothing changes — what its socket poll costs when there is nothing new to find.
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { Stack } from '../test/support/stack';
import { DEFAULT_POLL_INTERVAL_MS } from '../electron/helper/sockets/monitor';
import { cpuSeconds, memoryOf, startBundledHelper } from './lib/helper-process';
import { buildHelperBundle } from '../test/support/helper-bundle';
import { allListeningMix, standardMix, startSocketHolders, type SocketHolders } from './lib/socket-holders';
import type { BenchContext, BenchSection, Benchmark, Figure, TargetCheck } from './lib/types';

const CPU_GOAL = 0.5;
const MEMORY_GOAL = 80;

interface AtRest {
  /** CPU share per slice of the window, in % of one core. */
  cpuSlices: number[];
  /** Over the whole window. */
  cpuShare: number;
  rssMiB: number[];
  anonMiB: number;
  hwmMiB: number;
}

interface Window { settleS: number; windowS: number; slices: number }

/** utime+stime over a window cut into slices, with VmRSS at the end of each. */
async function observe(pid: number, { settleS, windowS, slices }: Window): Promise<AtRest> {
  await sleep(settleS * 1000);
  const cpuSlices: number[] = [];
  const rssMiB: number[] = [];
  const firstCpu = await cpuSeconds(pid);
  const firstAt = performance.now();
  let cpu = firstCpu;
  let at = firstAt;
  for (let i = 0; i < slices; i++) {
    await sleep((windowS * 1000) / slices);
    const nextCpu = await cpuSeconds(pid);
    const nextAt = performance.now();
    cpuSlices.push((100 * (nextCpu - cpu)) / ((nextAt - at) / 1000));
    rssMiB.push((await memoryOf(pid)).rssMiB);
    cpu = nextCpu;
    at = nextAt;
  }
  const { hwmMiB, anonMiB } = await memoryOf(pid);
  return { cpuSlices, cpuShare: (100 * (cpu - firstCpu)) / ((at - firstAt) / 1000), rssMiB, anonMiB, hwmMiB };
}

const intervalName = (ms: number) => `poll every ${ms} ms${ms === DEFAULT_POLL_INTERVAL_MS ? ' (default)' : ''}`;

/** Figures, notes and (for the runs the goals are about) target checks of one observation. */
class Findings {
  readonly figures: Figure[] = [];
  readonly targets: TargetCheck[] = [];
  readonly notes: string[] = [];

  add(label: string, r: AtRest, window: Window, checked: boolean): void {
    const peakRss = Math.max(...r.rssMiB);
    this.figures.push(
      { label: `CPU, ${label}`, unit: '%', samples: r.cpuSlices },
      { label: `VmRSS, ${label}`, unit: 'MB', samples: r.rssMiB },
    );
    this.notes.push(`${label}: ${r.cpuShare.toFixed(2)} % CPU over ${window.windowS} s; VmRSS at most ${peakRss.toFixed(1)} MB, `
      + `of which the helper's own (RssAnon) ${r.anonMiB.toFixed(1)} MB, the rest mostly the node binary's pages; VmHWM (peak, start included) ${r.hwmMiB.toFixed(1)} MB.`);
    if (!checked) return;
    this.targets.push(
      { label: `CPU share at rest, ${label}`, measured: r.cpuShare, unit: '%', op: '<=', goal: CPU_GOAL },
      { label: `Resident memory (VmRSS, highest sample), ${label}`, measured: peakRss, unit: 'MB', op: '<=', goal: MEMORY_GOAL },
    );
  }
}

async function run(ctx: BenchContext): Promise<BenchSection> {
  // Settling covers the start's own work: JIT compilation, and V8's memory reducer ~8 s in.
  const window: Window = ctx.quick ? { settleS: 8, windowS: 15, slices: 3 } : { settleS: 15, windowS: 60, slices: 6 };
  const intervals = [...new Set([DEFAULT_POLL_INTERVAL_MS, 250, 100])];
  const found = new Findings();
  const bundle = await buildHelperBundle();
  let stack: Stack | undefined;
  let holders: SocketHolders | undefined;
  try {
    stack = await Stack.start({ links: 1, pollIntervalMs: 'default' });
    holders = await startSocketHolders(stack.lab, standardMix(stack.lab));
    for (const interval of intervals) {
      ctx.log(`helper at rest: ${intervalName(interval)}, ${window.windowS} s`);
      const pid = await startBundledHelper(stack, bundle, interval);
      found.add(`10,000 sockets, ${intervalName(interval)}`, await observe(pid, window), window, interval === DEFAULT_POLL_INTERVAL_MS);
    }
    if (!ctx.quick) {
      // As the tests run it (tsx compiling TypeScript at load): how much memory the loader adds.
      ctx.log('helper at rest: under tsx, for comparison');
      await stack.stopHelper('SIGTERM');
      await stack.startHelper();
      const pid = stack.helper?.pid;
      if (pid === undefined) throw new Error('palisaded under tsx has no pid');
      const short = { ...window, windowS: 20, slices: 2 };
      found.add(`under node --import tsx, ${intervalName(DEFAULT_POLL_INTERVAL_MS)}`, await observe(pid, short), short, false);
      // The worst case for the poll: every socket listening, so every one is in every dump.
      await stack.stopHelper('SIGTERM');
      holders.stop();
      holders = await startSocketHolders(stack.lab, allListeningMix(stack.lab));
      ctx.log(`helper at rest: all 10,000 sockets listening, ${window.windowS} s`);
      const worst = await startBundledHelper(stack, bundle, DEFAULT_POLL_INTERVAL_MS);
      found.add(`all 10,000 sockets listening, ${intervalName(DEFAULT_POLL_INTERVAL_MS)}`, await observe(worst, window), window, true);
    }
  } finally {
    holders?.stop();
    await stack?.stop();
    await bundle.dispose();
  }
  return {
    id: 'helper-at-rest',
    title: 'Helper at rest with 10,000 sockets',
    method: `palisaded as installs run it — the esbuild bundle (\`scripts/build.mjs helper\`) under \`node\` — in the lab's host namespace on a private system bus with polkit, `
      + `while four processes hold 10,000 sockets there (800 listening: TCP LISTEN and bound UDP, IPv4 and IPv6; 9,200 ends of established TCP connections) and nothing changes; no client is connected. `
      + `After ${window.settleS} s to settle, utime+stime from /proc/PID/stat over ${window.windowS} s${ctx.quick ? ' (quick mode; the full run uses 60 s)' : ''}: `
      + `the target is the share over the whole window (10 ms ticks), the figure's samples are ${window.slices} slices of it. `
      + `VmRSS at the end of each slice and RssAnon and VmHWM at the end, from /proc/PID/status (MB = MiB). Each poll interval gets a freshly started helper.`
      + (ctx.quick ? '' : ' Also: the helper under `node --import tsx` as the tests run it (20 s), and every one of the 10,000 sockets listening (the poll\'s worst case).'),
    figures: found.figures,
    ratios: [],
    targets: found.targets,
    notes: found.notes,
  };
}

export const benchmark: Benchmark = { id: 'helper-at-rest', title: 'Helper at rest with 10,000 sockets', run };

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.log(JSON.stringify(await run({ quick: process.argv.includes('--quick'), log: (m) => console.error(m) }), null, 2));
}
