// 7. The UI: the renderer's first paint, the Activity table with 10,000 real sockets (frame
// times while scrolling, with and without live updates) and the renderer's heap — the built
// renderer in Debian's Chromium (playwright-core), served by the lab bridge with the real
// helper and main-process handlers behind it.
import { cpus, loadavg } from 'node:os';
import { pathToFileURL } from 'node:url';
import type { Browser } from 'playwright-core';
import { launchChromium } from '../test/support/browser';
import { startUiWorld } from './lib/ui-world';
import { activityTrial, paintTrial, type ActivityTrial } from './lib/ui-trials';
import { frameTimes, type FrameRun } from './lib/ui-probe';
import { formatNumber, median, percentile } from './lib/stats';
import type { BenchContext, BenchSection, Benchmark, Figure } from './lib/types';

/**
 * What was changed in the renderer for this benchmark, with the figures measured before and after
 * (interleaved: the committed renderer and the changed one served side by side from one lab,
 * trials alternating, 6 × 400 frames each, machine load 3.4–4.0 on 2 CPUs).
 */
const OPTIMISATION_NOTES = [
  'Changed for this benchmark (renderer/src/screens/Activity.tsx, activity/rows.ts, store/index.ts; screenshots of the Activity screen '
    + 'pixel-identical before and after, light and dark, English and Japanese): scrolling re-renders only the table, not the toolbar above it; '
    + 'the header is one sticky box instead of eight sticky cells (one compositor layer); rows are styled by classes instead of inline style '
    + 'objects; a verdict is put into words once per distinct verdict; the verdict for a row is a lookup, and a change to what listens '
    + 're-predicts only the ports it touched (a prediction reads only the sockets on its own port; checked against the old code on random '
    + 'machines with fast-check); rows, keys and app descriptions are matched by object identity where a live change keeps the objects.',
  'Before → after (interleaved): main-thread CPU per frame scrolling 10.0 → 9.2 ms (script 2.8 → 1.8 ms), with live updates 10.8 → 9.4 ms '
    + '(script 3.7 → 1.9 ms), dragging the scrollbar 18.5 → 15.2 ms (script 7.2 → 3.8 ms); a listening-changed event cost a frame of 30–65 ms '
    + 'of main-thread CPU (traced) and now 11–20 ms. Wall-clock frame time p95: scrolling 46 → 33 ms, with live updates 61 → 42 ms, '
    + 'dragging p50 31.5 → 23.9 ms.',
  'Not done: an opaque, contained scroller lets Chromium scroll the table on its own layer (about 1 ms less main-thread work a frame), '
    + 'but the table\'s text then rasterises differently (up to 30/255 per channel on anti-aliased edges), so it was left out to keep the '
    + 'screen identical. What remains a frame is mostly Chromium\'s own work for the software-rendered page (paint, layerize, commit: '
    + 'about 6 ms, see the breakdown above), not the app\'s script.',
];

/** One frame at 60 Hz: the budget a frame's work must fit for scrolling to stay smooth. */
const FRAME_BUDGET_MS = 16;
const VSYNC_MS = 1000 / 60;

/** Frames the display would have shown that the page did not produce, as a share of all. */
function droppedShare(run: FrameRun): number {
  const { intervals } = frameTimes(run);
  const slots = intervals.reduce((sum, d) => sum + Math.max(1, Math.round(d / VSYNC_MS)), 0);
  return ((slots - intervals.length) / slots) * 100;
}

const mean = (values: number[]): string => formatNumber(values.reduce((sum, v) => sum + v, 0) / values.length);

function numbers(values: (number | undefined)[]): number[] {
  return values.filter((v): v is number => v !== undefined && Number.isFinite(v));
}

async function run(ctx: BenchContext): Promise<BenchSection> {
  const paintRuns = ctx.quick ? 5 : 10;
  const activityRuns = ctx.quick ? 2 : 5;
  const frames = ctx.quick ? 240 : 600;
  // Frame times are wall-clock: on a shared machine other work shows up in them. Say how busy it was.
  const loadBefore = loadavg()[0] as number;
  const world = await startUiWorld(ctx.log);
  let browser: Browser | undefined;
  const paints = [];
  const trials: ActivityTrial[] = [];
  try {
    browser = await launchChromium();
    ctx.log(`ui: Chromium ${browser.version()}, the lab holds ${world.sockets.toLocaleString('en-US')} sockets`);
    for (let i = 0; i < paintRuns; i++) paints.push(await paintTrial(browser, world.lab.url));
    ctx.log(`ui: first paint, ${paintRuns} fresh pages: median ${formatNumber(median(numbers(paints.map((p) => p.firstPaint))))} ms`);
    for (let i = 0; i < activityRuns; i++) {
      trials.push(await activityTrial(browser, world, frames));
      ctx.log(`ui: Activity trial ${i + 1}/${activityRuns}`);
    }
  } finally {
    await browser?.close();
    await world.stop();
  }

  const loadAfter = loadavg()[0] as number;
  const pooled = (phase: 'steady' | 'jump' | 'live') => trials.flatMap((t) => frameTimes(t[phase]).work);
  const firstPaint = numbers(paints.map((p) => p.firstPaint));
  const steady = pooled('steady');
  const live = pooled('live');
  const rows = trials.map((t) => t.rows);
  const events = trials.map((t) => t.liveEvents['firewall:listening'] ?? 0);
  const errors = [...new Set(trials.flatMap((t) => t.errors))];
  const figures: Figure[] = [
    { label: 'Renderer first paint', unit: 'ms', samples: firstPaint },
    { label: 'Renderer first contentful paint', unit: 'ms', samples: numbers(paints.map((p) => p.firstContentfulPaint)) },
    { label: 'Overview on screen with the helper\'s data', unit: 'ms', samples: numbers(paints.map((p) => p.overview)) },
    { label: 'Activity, 10,000 rows: frame time, scrolling', unit: 'ms', samples: steady, percentiles: [50, 95, 99] },
    { label: 'Activity, 10,000 rows: frame time, scrolling with live updates', unit: 'ms', samples: live, percentiles: [50, 95, 99] },
    { label: 'Activity, 10,000 rows: frame time, dragging the scrollbar', unit: 'ms', samples: pooled('jump'), percentiles: [50, 95, 99] },
    { label: 'Activity, 10,000 rows: dropped frames, scrolling', unit: '%', samples: trials.map((t) => droppedShare(t.steady)) },
    { label: 'Activity, 10,000 rows: dropped frames, scrolling with live updates', unit: '%', samples: trials.map((t) => droppedShare(t.live)) },
    { label: 'Activity, 10,000 rows: renderer main-thread CPU per frame, scrolling', unit: 'ms', samples: trials.map((t) => t.steady.cpu.ThreadTime) },
    { label: 'Activity, 10,000 rows: renderer main-thread CPU per frame, scrolling with live updates', unit: 'ms', samples: trials.map((t) => t.live.cpu.ThreadTime) },
    { label: 'Renderer heap, Overview', unit: 'MB', samples: trials.map((t) => t.heapOverviewMB) },
    { label: 'Renderer heap, Activity with 10,000 rows', unit: 'MB', samples: trials.map((t) => t.heapActivityMB) },
  ];
  return {
    id: 'ui',
    title: benchmark.title,
    method: `The built renderer (\`npm run build:renderer\`) in Debian's Chromium, headless, driven by playwright-core with the UI tests' flags, `
      + `served by the lab bridge with the real main-process handlers, a real palisaded (shipped poll interval) and polkitd behind it. `
      + `The lab's host namespace holds ${world.sockets.toLocaleString('en-US')} real sockets: four Node programs (listeners, UDP sockets, `
      + `outbound connections to and inbound connections from the outside namespace), so the table gets them through the real path `
      + `(sock_diag and /proc in the helper, D-Bus, the main-process handler, the bridge). `
      + `First paint: the Paint Timing API (\`first-paint\`, \`first-contentful-paint\`) in ${paintRuns} fresh browser contexts; `
      + `"Overview on screen" is when the frame after the Private card's network list appeared had been produced. `
      + `Frame time: the page scrolls the Activity table itself once per animation frame (${frames} frames a run, 120 px a frame, or a random place a frame `
      + `for the scrollbar drag); a frame runs from its requestAnimationFrame timestamp to a message posted from that callback, which the main thread `
      + `handles only after the frame's script, style, layout, paint and commit — the frame's main-thread work. Headless Chromium paces `
      + `requestAnimationFrame at 60 Hz (16.7 ms) like a display, so the time between frames cannot show work under 16.7 ms; the work figure can. `
      + `Dropped frames: gaps between frame starts counted in 60 Hz intervals. Main-thread CPU per frame: the renderer's own \`ThreadTime\` `
      + `(DevTools \`Performance.getMetrics\`) over a run, divided by its frames. Live updates: 10 UDP sockets a second open and close and 50 `
      + `connections a second are replaced while the table scrolls; they reach the page as the helper's listening-changed events. `
      + `Heap: \`Runtime.getHeapUsage\` after two \`HeapProfiler.collectGarbage\`. ${activityRuns} fresh contexts; every frame of every run is a sample.`,
    figures,
    ratios: [],
    targets: [
      { label: 'Renderer first paint, median', measured: median(firstPaint), unit: 'ms', op: '<=', goal: 1000 },
      { label: 'Frame time scrolling 10,000 rows, p95', measured: percentile(steady, 95), unit: 'ms', op: '<=', goal: FRAME_BUDGET_MS },
      { label: 'Frame time scrolling 10,000 rows with live updates, p95', measured: percentile(live, 95), unit: 'ms', op: '<=', goal: FRAME_BUDGET_MS },
    ],
    notes: [
      `Machine load (1-minute average) ${loadBefore.toFixed(1)} before and ${loadAfter.toFixed(1)} after, on ${cpus().length} CPUs; frame times are wall-clock, so other work on the machine lengthens them — the CPU figures do not count it.`,
      `Main-thread CPU per frame while scrolling, by kind (mean of runs): script ${mean(trials.map((t) => t.steady.cpu.ScriptDuration))} ms, `
        + `style ${mean(trials.map((t) => t.steady.cpu.RecalcStyleDuration))} ms, layout ${mean(trials.map((t) => t.steady.cpu.LayoutDuration))} ms, `
        + `the rest (paint, compositing, commit) ${mean(trials.map((t) => t.steady.cpu.ThreadTime - t.steady.cpu.ScriptDuration - t.steady.cpu.RecalcStyleDuration - t.steady.cpu.LayoutDuration))} ms; `
        + `the whole renderer process (raster and compositor threads too) ${mean(trials.map((t) => t.steady.cpu.ProcessTime))} ms.`,
      `Rows in the table per run: ${rows.join(', ')}; DOM nodes with the table shown: ${trials.map((t) => t.domNodes).join(', ')}.`,
      `Listening-changed events that reached the page during the live runs: ${events.join(', ')}.`,
      ...(errors.length ? [`Errors in the page: ${errors.join('; ')}`] : []),
      ...OPTIMISATION_NOTES,
    ],
  };
}

export const benchmark: Benchmark = { id: 'ui', title: 'UI: first paint, the Activity table at 10,000 rows, heap', run };

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.log(JSON.stringify(await run({ quick: process.argv.includes('--quick'), log: (m) => console.error(m) }), null, 2));
  // The lab's bus connections may keep the event loop alive a moment longer; the section is out.
  process.exit(0);
}
