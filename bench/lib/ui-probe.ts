// What the UI benchmark runs inside the page: the browser's own clocks (the Paint Timing API,
// requestAnimationFrame timestamps) read where they are, so nothing crosses the DevTools
// protocol while a frame is being timed. The functions here are serialised into the page by
// playwright; they may only use what they declare below.
import type { BrowserContext, Page } from 'playwright-core';

/** The little of the DOM the probes touch (the project's TypeScript has no DOM library). */
interface ScrollBox { scrollTop: number; scrollHeight: number; clientHeight: number; parentElement: ScrollBox | null }
interface Port { onmessage: (() => void) | null; postMessage(value: unknown): void }
interface PageGlobals {
  document: { querySelector(selector: string): ScrollBox | null };
  performance: { now(): number; getEntriesByType(type: string): { name: string; startTime: number }[] };
  requestAnimationFrame(callback: (time: number) => void): number;
  MessageChannel: new () => { port1: Port; port2: Port };
  MutationObserver: new (callback: () => void) => { observe(target: object, options: object): void; disconnect(): void };
  __benchMarks?: Record<string, number>;
}

/** The Overview is on screen with the helper's data when its Private card lists networks. */
export const OVERVIEW_WITH_DATA = '[data-testid="profile-private-networks"]';

/**
 * Installs the probe in every page of the context, before the app's own scripts run. tsx
 * (esbuild's keepNames) wraps named functions in `__name()`, which the page lacks: a no-op one
 * is given first.
 */
export async function installProbe(context: BrowserContext): Promise<void> {
  await context.addInitScript({ content: 'globalThis.__name ??= (fn) => fn;' });
  await context.addInitScript(watchForSelector, OVERVIEW_WITH_DATA);
}

/**
 * Records when `selector` first appears (`inserted`) and when the frame showing it has been
 * produced (`shown`: the end of the main thread's work for the next animation frame).
 */
function watchForSelector(selector: string): void {
  const w = globalThis as unknown as PageGlobals;
  const marks: Record<string, number> = {};
  w.__benchMarks = marks;
  const observer = new w.MutationObserver(() => {
    if (marks.inserted !== undefined || !w.document.querySelector(selector)) return;
    marks.inserted = w.performance.now();
    observer.disconnect();
    w.requestAnimationFrame(() => {
      const channel = new w.MessageChannel();
      channel.port1.onmessage = () => { marks.shown = w.performance.now(); };
      channel.port2.postMessage(0);
    });
  });
  // The document itself: init scripts run before it has a root element.
  observer.observe(w.document, { childList: true, subtree: true });
}

export interface PaintTimes {
  firstPaint: number | undefined;
  firstContentfulPaint: number | undefined;
  /** The Overview with the helper's data, on screen. */
  overview: number | undefined;
}

/** Milliseconds from the start of navigation, as the page's Performance API reports them. */
export async function readPaintTimes(page: Page): Promise<PaintTimes> {
  return page.evaluate(() => {
    const w = globalThis as unknown as PageGlobals;
    const paints = w.performance.getEntriesByType('paint');
    return {
      firstPaint: paints.find((p) => p.name === 'first-paint')?.startTime,
      firstContentfulPaint: paints.find((p) => p.name === 'first-contentful-paint')?.startTime,
      overview: w.__benchMarks?.shown,
    };
  });
}

export interface FrameRun {
  /** Each frame's requestAnimationFrame timestamp: when the browser began the frame. */
  begin: number[];
  /** When the main thread had finished that frame (script, style, layout, paint, commit). */
  end: number[];
  /** The scroller's height in rows' worth of pixels, to check the whole list was there. */
  scrollHeight: number;
}

export interface ScrollPlan {
  /** The scroll container is the nearest ancestor of this element that scrolls. */
  selector: string;
  frames: number;
  /** steady: `step` pixels a frame, turning at either end; jump: a random place every frame (dragging the scrollbar). */
  pattern: 'steady' | 'jump';
  step: number;
}

/**
 * Scrolls the container once per animation frame and times every frame: requestAnimationFrame
 * gives the frame's start; a message posted from that callback is handled only after the
 * browser has finished the frame's rendering work on the main thread, which gives its end.
 */
export async function scrollFrames(page: Page, plan: ScrollPlan): Promise<FrameRun> {
  return page.evaluate((p) => new Promise<FrameRun>((resolve, reject) => {
    const w = globalThis as unknown as PageGlobals;
    let box = w.document.querySelector(p.selector);
    while (box && box.scrollHeight <= box.clientHeight + 1) box = box.parentElement;
    if (!box) return reject(new Error(`nothing scrolls around ${p.selector}`));
    const scroller = box;
    const begin: number[] = [];
    const end: number[] = [];
    const channel = new w.MessageChannel();
    channel.port1.onmessage = () => {
      end.push(w.performance.now());
      if (end.length === p.frames) resolve({ begin, end, scrollHeight: scroller.scrollHeight });
    };
    let direction = 1;
    const frame = (time: number) => {
      begin.push(time);
      channel.port2.postMessage(0);
      const max = scroller.scrollHeight - scroller.clientHeight;
      if (p.pattern === 'jump') {
        scroller.scrollTop = Math.random() * max;
      } else {
        let top = scroller.scrollTop + direction * p.step;
        if (top >= max || top <= 0) {
          direction = -direction;
          top = Math.min(max, Math.max(0, top));
        }
        scroller.scrollTop = top;
      }
      if (begin.length < p.frames) w.requestAnimationFrame(frame);
    };
    w.requestAnimationFrame(frame);
  }), plan);
}

/** Frame work (end − begin) and the intervals between frame starts, in ms. */
export function frameTimes(run: FrameRun): { work: number[]; intervals: number[] } {
  const work = run.begin.map((b, i) => (run.end[i] ?? b) - b);
  const intervals = run.begin.slice(1).map((b, i) => b - (run.begin[i] as number));
  return { work, intervals };
}
