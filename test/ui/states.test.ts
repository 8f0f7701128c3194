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
import { waitFor } from '../support/wait';
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

  /** Opens the app with window.palisade answering from canned data; `window.emitFake(event, payload)` pushes an event. */
  async function withFakeApi(data: { helper: object; sockets?: number; drops?: number }): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
    await context.addInitScript(({ helper, sockets, drops }) => {
      const protections = { scanDetection: { enabled: false, ports: 20, withinSeconds: 5, blockSeconds: 600 }, antiSpoofing: true, outboundEssentials: { dns: true, dhcp: true, ntp: true } };
      const policy = { version: 1, profiles: { private: { enabled: true, stealth: true, shieldsUp: false, answerPing: true, defaultInbound: 'block', defaultOutbound: 'allow', notify: true, ...protections }, public: { enabled: true, stealth: true, shieldsUp: false, answerPing: false, defaultInbound: 'block', defaultOutbound: 'allow', notify: true, ...protections } }, apps: [], portRules: [], networks: [], interfaces: {} };
      const status = { version: '0.1.0', revision: 1, policy: { path: '/etc/palisade/policy.json', source: 'file' }, profiles: policy.profiles, interfaces: [{ name: 'eth0', profile: 'public', pinned: false, addresses: ['192.168.1.20'] }], networkSource: 'gateway', resolvers: [], counts: { apps: 0, portRules: 0, listening: sockets, prompts: 0 } };
      const manySockets = Array.from({ length: sockets }, (_, i) => ({
        protocol: i % 3 ? 'tcp' : 'udp', family: 4, state: i % 3 ? (i % 2 ? 'ESTABLISHED' : 'LISTEN') : 'UNCONN',
        address: '192.168.1.20', port: 1024 + i, remoteAddress: i % 2 ? `10.0.${(i >> 8) & 255}.${i & 255}` : '0.0.0.0', remotePort: i % 2 ? 443 : 0,
        inode: 100000 + i, uid: 1000, process: { pid: 2000 + (i % 97), exe: '/usr/bin/worker', cmdline: ['/usr/bin/worker', String(i)], uid: 1000, user: 'alice' },
        app: { kind: 'executable', path: '/usr/bin/worker' },
      }));
      const dropLog = Array.from({ length: drops }, (_, i) => ({
        time: new Date(Date.UTC(2026, 0, 1, 12, 0, 0) + i * 1000).toISOString(), interface: 'eth0', direction: 'in', profile: 'public', kind: 'default',
        family: 4, protocol: 'tcp', source: `203.0.113.${(i % 250) + 1}`, sourcePort: 40000 + i, destination: '192.168.1.20', destinationPort: 1 + (i % 1024),
      }));
      const answers: Record<string, unknown> = {
        'app:info': { version: '0.1.0', labMode: false, trayAvailable: false, systemLanguages: ['en-US'] },
        'settings:get': { language: 'en', theme: 'light', notifications: true },
        'helper:state': helper,
        'firewall:status': status, 'firewall:policy': policy,
        'firewall:networks': { known: [], active: [] }, 'firewall:prompts': [],
        'firewall:sockets': manySockets, 'firewall:exposure': [], 'firewall:ruleset': { text: '' },
        'apps:describe': [], 'apps:installed': [],
        'firewall:dropLog': dropLog, 'firewall:hitCounts': { port: {}, app: {}, profile: {} },
        'firewall:change': undefined,
      };
      const listeners = new Map<string, Set<(payload: unknown) => void>>();
      (globalThis as unknown as { emitFake: unknown }).emitFake = (event: string, payload: unknown) => { for (const l of listeners.get(event) ?? []) l(payload); };
      (globalThis as unknown as { palisade: unknown }).palisade = {
        invoke: async (channel: string) => (channel === 'firewall:change'
          ? { ok: false, error: { code: 'access-denied', message: 'not authorized to change the firewall: authentication as an administrator is required and was not given (polkit action org.palisade.firewall.manage)' } }
          : { ok: true, value: answers[channel] }),
        on: (event: string, listener: (payload: unknown) => void) => {
          const set = listeners.get(event) ?? new Set();
          set.add(listener);
          listeners.set(event, set);
          return () => { set.delete(listener); };
        },
      };
    }, { helper: data.helper, sockets: data.sockets ?? 0, drops: data.drops ?? 0 });
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

  it('keeps the newest 1,000 blocked attempts, newest first, live and virtualised', async () => {
    const page = await withFakeApi({ helper: { connection: 'connected', notAuthorized: false, canInstall: false, installing: false }, drops: 1000 });
    try {
      await page.getByTestId('nav-activity').click();
      await page.getByTestId('activity-tab-drops').click();
      const rows = page.getByTestId('drop-row');
      await rows.first().waitFor();
      const count = page.getByTestId('drops-count');
      expect(await count.getAttribute('data-total')).toBe('1000');
      expect(await rows.count()).toBeLessThan(100);
      // The log's last entry (newest) is on top.
      expect(await rows.first().getAttribute('data-source')).toBe(`203.0.113.${(999 % 250) + 1}`);
      // 1,500 more arrive in a few batches: the window keeps the newest 1,000.
      await page.evaluate(() => {
        const emit = (globalThis as unknown as { emitFake: (event: string, payload: unknown) => void }).emitFake;
        for (let batch = 0; batch < 3; batch++) {
          emit('firewall:drops', Array.from({ length: 500 }, (_, i) => ({
            time: new Date(Date.UTC(2026, 0, 2) + (batch * 500 + i) * 10).toISOString(), interface: 'eth1', direction: 'out', profile: 'private', kind: 'out-block', ruleId: 'no-smtp',
            family: 6, protocol: 'tcp', source: 'fd00::20', sourcePort: 50000 + i, destination: '2001:db8::25', destinationPort: 25 + batch,
          })));
        }
      });
      await waitFor('the live batches', async () => (await rows.first().getAttribute('data-port')) === '27');
      expect(await count.getAttribute('data-total')).toBe('1000');
      expect(await rows.first().textContent()).toContain('Outbound block rule no-smtp');
      expect(await rows.first().textContent()).toContain('[2001:db8::25]:27');
      // Only outbound ones remain (the 1,000 from the log were the oldest).
      await page.getByTestId('drops-direction').selectOption('in');
      await page.getByTestId('drops-empty').waitFor();
      expect(await count.getAttribute('data-shown')).toBe('0');
    } finally {
      await page.context().close();
    }
  });
});
