// One trial of each UI measurement, each in a fresh browser context (no cache, no storage, a
// new renderer process): the first paint of the app, and the Activity screen with the lab's
// 10,000 sockets — its heap, and frame times while scrolling, still and with live updates.
import type { Browser, BrowserContext, CDPSession, Page } from 'playwright-core';
import { waitFor } from '../../test/support/wait';
import { installProbe, OVERVIEW_WITH_DATA, readPaintTimes, scrollFrames, type FrameRun, type PaintTimes, type ScrollPlan } from './ui-probe';
import type { UiWorld } from './ui-world';

/** The window the UI tests use, at the size the screenshots show. */
async function freshPage(browser: Browser, url: string): Promise<{ context: BrowserContext; page: Page; errors: string[] }> {
  const context = await browser.newContext({ colorScheme: 'light', locale: 'en-US', viewport: { width: 1280, height: 860 } });
  try {
    await installProbe(context);
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(err.message));
    await page.goto(url);
    return { context, page, errors };
  } catch (err) {
    await context.close();
    throw err;
  }
}

export async function paintTrial(browser: Browser, url: string): Promise<PaintTimes> {
  const { context, page } = await freshPage(browser, url);
  try {
    await page.locator(OVERVIEW_WITH_DATA).waitFor({ timeout: 30_000 });
    let times = await readPaintTimes(page);
    // The Paint Timing entries arrive once the frame has been presented, a little after it was produced.
    await waitFor('the Overview frame and the paint entries', async () => {
      times = await readPaintTimes(page);
      return times.overview !== undefined && times.firstPaint !== undefined && times.firstContentfulPaint !== undefined;
    }, { intervalMs: 20 });
    return times;
  } finally {
    await context.close();
  }
}

/** The JavaScript heap in use after two full collections, in MB. */
async function heapMB(cdp: CDPSession): Promise<number> {
  await cdp.send('HeapProfiler.collectGarbage');
  await cdp.send('HeapProfiler.collectGarbage');
  const { usedSize } = await cdp.send('Runtime.getHeapUsage');
  return usedSize / 1024 / 1024;
}

/** The renderer's own clocks (seconds): CPU of its main thread and of the process, and main-thread time by kind of work. */
const CLOCKS = ['ThreadTime', 'ProcessTime', 'ScriptDuration', 'RecalcStyleDuration', 'LayoutDuration'] as const;
type Clock = typeof CLOCKS[number];

async function readClocks(cdp: CDPSession): Promise<Record<Clock, number>> {
  const { metrics } = await cdp.send('Performance.getMetrics');
  return Object.fromEntries(CLOCKS.map((name) => [name, metrics.find((m) => m.name === name)?.value ?? Number.NaN])) as Record<Clock, number>;
}

export interface TimedScroll extends FrameRun {
  /** Per frame, in CPU ms: what the frames cost whatever else the machine was doing. */
  cpu: Record<Clock, number>;
}

/** Scrolls, and reads the renderer's clocks before and after. */
async function timedScroll(page: Page, cdp: CDPSession, plan: ScrollPlan): Promise<TimedScroll> {
  const before = await readClocks(cdp);
  const run = await scrollFrames(page, plan);
  const after = await readClocks(cdp);
  const cpu = Object.fromEntries(CLOCKS.map((name) => [name, ((after[name] - before[name]) * 1000) / plan.frames])) as Record<Clock, number>;
  return { ...run, cpu };
}

export interface ActivityTrial {
  heapOverviewMB: number;
  heapActivityMB: number;
  /** DOM nodes in the page with the table shown (the virtual table keeps this small). */
  domNodes: number;
  rows: number;
  steady: TimedScroll;
  jump: TimedScroll;
  live: TimedScroll;
  /** Events the bridge sent the page while the live run scrolled, by channel. */
  liveEvents: Record<string, number>;
  errors: string[];
}

const TABLE = '[data-testid="activity-table"]';
/** A fast flick: 2.5 rows a frame, 150 rows a second at 60 Hz; every frame brings new rows in. */
const STEADY_STEP_PX = 120;

export async function activityTrial(browser: Browser, world: UiWorld, frames: number): Promise<ActivityTrial> {
  const { context, page, errors } = await freshPage(browser, world.lab.url);
  try {
    await page.locator(OVERVIEW_WITH_DATA).waitFor({ timeout: 30_000 });
    const cdp = await context.newCDPSession(page);
    const heapOverviewMB = await heapMB(cdp);
    await page.getByTestId('nav-activity').click();
    const count = page.getByTestId('activity-count');
    // The first snapshot holds every socket; churn between trials may move the count a little.
    let rows = 0;
    await waitFor('10,000 rows in the Activity table', async () => (rows = Number(await count.getAttribute('data-total'))) >= world.sockets * 0.98, { timeoutMs: 90_000 });
    await page.getByTestId('socket-row').first().waitFor();
    // App names and icons arrive just after the first snapshot; let the screen settle first.
    await page.waitForTimeout(1000);
    const heapActivityMB = await heapMB(cdp);
    await cdp.send('Performance.enable', { timeDomain: 'threadTicks' });
    const { metrics } = await cdp.send('Performance.getMetrics');
    const domNodes = metrics.find((m) => m.name === 'Nodes')?.value ?? Number.NaN;
    const plan = (pattern: ScrollPlan['pattern']): ScrollPlan => ({ selector: TABLE, frames, pattern, step: STEADY_STEP_PX });
    const steady = await timedScroll(page, cdp, plan('steady'));
    const jump = await timedScroll(page, cdp, plan('jump'));
    world.churn(true);
    let live: TimedScroll;
    let liveEvents: Record<string, number>;
    try {
      // Let the first changes reach the page before timing.
      await page.waitForTimeout(1000);
      const counted = world.countEvents();
      live = await timedScroll(page, cdp, plan('steady'));
      liveEvents = counted();
    } finally {
      world.churn(false);
    }
    return { heapOverviewMB, heapActivityMB, domNodes, rows, steady, jump, live, liveEvents, errors };
  } finally {
    await context.close();
  }
}
