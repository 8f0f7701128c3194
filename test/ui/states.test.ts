// Clear states: the helper going away and coming back (against the real lab), "not authorised",
// and a busy machine's 10,000 sockets in the Activity table (against a fake API the page gets
// before it loads, as the Electron preload would provide one).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { startDesktopLab, buildRenderer, RENDERER_DIR, type DesktopLab } from '../support/desktop-lab';
import { launchChromium, openApp } from '../support/browser';
import { BridgeServer } from '../../electron/main/bridge-server';
import type { InvokeHandlers } from '../../electron/main/dispatch';

const SHOTS = fileURLToPath(new URL('../../test-results/screenshots/', import.meta.url));
let browser: Browser;

beforeAll(async () => {
  await mkdir(SHOTS, { recursive: true });
  browser = await launchChromium();
});
afterAll(async () => { await browser?.close(); });

describe('against the lab', () => {
  let lab: DesktopLab;
  beforeAll(async () => { lab = await startDesktopLab(); });
  afterAll(async () => { await lab?.stop(); });

  it('shows "helper missing" when the helper stops, and recovers when it is back', async () => {
    const { page, context } = await openApp(browser, lab.url);
    try {
      await page.getByTestId('screen-overview').waitFor();
      await lab.stack.stopHelper('SIGTERM');
      const banner = page.getByTestId('helper-missing');
      await banner.waitFor();
      expect(await banner.textContent()).toContain('The Palisade helper is not running');
      await page.screenshot({ path: join(SHOTS, 'helper-missing-en-light.png') });
      await lab.stack.startHelper();
      await banner.waitFor({ state: 'detached', timeout: 30_000 });
      await page.getByTestId('profile-private').waitFor();
    } finally {
      await context.close();
    }
  });
});

describe('against a fake API', () => {
  let bridge: BridgeServer;
  let origin: string;

  beforeAll(async () => {
    await buildRenderer();
    // Only the static files are used: the fake API below takes the preload's place.
    bridge = new BridgeServer({ handlers: {} as InvokeHandlers, staticDir: RENDERER_DIR });
    ({ origin } = await bridge.start());
  });
  afterAll(async () => { await bridge?.close(); });

  /** Opens the app with window.palisade answering from canned data. */
  async function withFakeApi(data: { helper: object; sockets?: number }): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
    await context.addInitScript(({ helper, sockets }) => {
      const policy = { version: 1, profiles: { private: { enabled: true, stealth: true, shieldsUp: false, answerPing: true, defaultInbound: 'block', defaultOutbound: 'allow', notify: true }, public: { enabled: true, stealth: true, shieldsUp: false, answerPing: false, defaultInbound: 'block', defaultOutbound: 'allow', notify: true } }, apps: [], portRules: [], networks: [], interfaces: {} };
      const status = { version: '0.1.0', revision: 1, policy: { path: '/etc/palisade/policy.json', source: 'file' }, profiles: policy.profiles, interfaces: [{ name: 'eth0', profile: 'public', pinned: false, addresses: ['192.168.1.20'] }], networkSource: 'gateway', counts: { apps: 0, portRules: 0, listening: sockets, prompts: 0 } };
      const manySockets = Array.from({ length: sockets }, (_, i) => ({
        protocol: i % 3 ? 'tcp' : 'udp', family: 4, state: i % 3 ? (i % 2 ? 'ESTABLISHED' : 'LISTEN') : 'UNCONN',
        address: '192.168.1.20', port: 1024 + i, remoteAddress: i % 2 ? `10.0.${(i >> 8) & 255}.${i & 255}` : '0.0.0.0', remotePort: i % 2 ? 443 : 0,
        inode: 100000 + i, uid: 1000, process: { pid: 2000 + (i % 97), exe: '/usr/bin/worker', cmdline: ['/usr/bin/worker', String(i)], uid: 1000, user: 'alice' },
        app: { kind: 'executable', path: '/usr/bin/worker' },
      }));
      const answers: Record<string, unknown> = {
        'app:info': { version: '0.1.0', labMode: false, trayAvailable: false, systemLanguages: ['en-US'] },
        'settings:get': { language: 'en', theme: 'light', notifications: true },
        'helper:state': helper,
        'firewall:status': status, 'firewall:policy': policy,
        'firewall:networks': { known: [], active: [] }, 'firewall:prompts': [],
        'firewall:sockets': manySockets, 'firewall:exposure': [], 'firewall:ruleset': { text: '' },
        'apps:describe': [], 'apps:installed': [],
        'firewall:change': undefined,
      };
      (globalThis as unknown as { palisade: unknown }).palisade = {
        invoke: async (channel: string) => (channel === 'firewall:change'
          ? { ok: false, error: { code: 'access-denied', message: 'not authorized to change the firewall: authentication as an administrator is required and was not given (polkit action org.palisade.firewall.manage)' } }
          : { ok: true, value: answers[channel] }),
        on: () => () => undefined,
      };
    }, { helper: data.helper, sockets: data.sockets ?? 0 });
    const page = await context.newPage();
    await page.goto(`${origin}/`);
    return page;
  }

  it('shows "not authorised" clearly', async () => {
    const page = await withFakeApi({ helper: { connection: 'connected', notAuthorized: true, canInstall: false, installing: false } });
    try {
      const banner = page.getByTestId('not-authorized');
      await banner.waitFor();
      expect(await banner.textContent()).toContain('You are not authorised to change the firewall');
      await page.screenshot({ path: join(SHOTS, 'not-authorized-en-light.png') });
    } finally {
      await page.context().close();
    }
  });

  it('offers to install a missing helper when it can', async () => {
    const page = await withFakeApi({ helper: { connection: 'missing', notAuthorized: false, canInstall: true, installing: false, error: 'the Palisade helper (org.palisade.Firewall1) is not running' } });
    try {
      const banner = page.getByTestId('helper-missing');
      await banner.getByRole('button', { name: 'Install the helper' }).waitFor();
      expect(await banner.textContent()).toContain('asks for an administrator password once');
    } finally {
      await page.context().close();
    }
  });

  it('keeps 10,000 sockets in a virtual table: only the visible rows are in the page, and scrolling moves them', async () => {
    const page = await withFakeApi({ helper: { connection: 'connected', notAuthorized: false, canInstall: false, installing: false }, sockets: 10_000 });
    try {
      await page.getByTestId('nav-activity').click();
      const rows = page.getByTestId('socket-row');
      await rows.first().waitFor();
      const inPage = await rows.count();
      expect(inPage).toBeGreaterThan(5);
      expect(inPage).toBeLessThan(100);
      const firstPorts = await rows.evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-port'))));
      // Scroll the table's own scroller to its middle: different rows, still only a window of them.
      await page.getByTestId('activity-table').evaluate((table) => {
        // The table scrolls inside its own box, the nearest scrollable ancestor.
        interface Box { scrollHeight: number; clientHeight: number; scrollTop: number; parentElement: Box | null }
        let scroller: Box | null = table as unknown as Box;
        while (scroller && scroller.scrollHeight <= scroller.clientHeight + 1000) scroller = scroller.parentElement;
        if (!scroller) throw new Error('no scroll container around the activity table');
        scroller.scrollTop = scroller.scrollHeight / 2;
      });
      await page.waitForTimeout(300);
      const laterPorts = await rows.evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-port'))));
      expect(await rows.count()).toBeLessThan(100);
      // A different window of rows: none of those shown at the top are still there.
      expect(laterPorts.filter((p) => firstPorts.includes(p))).toEqual([]);
    } finally {
      await page.context().close();
    }
  });
});
