// The desktop app in Electron, driven by Playwright's _electron: start-up on app://palisade/,
// the preload API as the page sees it under contextIsolation and the sandbox, the lock-down,
// the tray, and a desktop notification for a new app. It runs where an Electron binary exists
// (node_modules/electron/dist, or ELECTRON_OVERRIDE_DIST_PATH) and a display does (DISPLAY or
// WAYLAND_DISPLAY; on a server: xvfb-run -a); otherwise it is skipped, and says why.
//
// The binary is found without loading the electron package, whose index.js would try to
// download it. The app runs against a private session bus (a stand-in notification server and
// tray host, test/support/session-bus.ts), a system bus address nobody listens on (no helper:
// the window shows that state), and a config directory of its own.
//
// The first part runs everywhere dbus-daemon does: the same shell with Electron faked
// (test/electron/fake-electron.ts) on the real private session bus, for tray-host detection
// and the notification path from a helper signal to the window.
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { _electron, type ElectronApplication, type Page } from 'playwright-core';
import { findElectronBinary } from '../../electron/shell/electron-binary';
import { runShell, type ShellState } from '../../electron/shell/app-shell';
import { EVENT_IPC } from '../../electron/shell/preload-api';
import type { Prompt } from '../../shared/dbus/contract';
import type { AppInfo, IpcResponse, PalisadeApi } from '../../shared/ipc/contract';
import type { TrayModel } from '../../electron/main/tray-model';
import { FakeNotificationServer, FakeStatusNotifierWatcher, PrivateSessionBus } from '../support/session-bus';
import { FakeBrowserWindow, FakeTray, fakeElectron } from './fake-electron';
import packageJson from '../../package.json' with { type: 'json' };

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

const hasDbusDaemon = spawnSync('dbus-daemon', ['--version'], { stdio: 'ignore' }).status === 0;
const binary = findElectronBinary(ROOT);
const display = Boolean(process.env.DISPLAY || process.env.WAYLAND_DISPLAY);
const skipElectron = !binary.found ? binary.reason
  : !display ? 'no display (DISPLAY and WAYLAND_DISPLAY are unset): run it under `xvfb-run -a`'
    : !hasDbusDaemon ? 'dbus-daemon is not installed (the app runs on a private session bus)'
      : undefined;
if (skipElectron) console.log(`test/electron: the Playwright _electron suite is SKIPPED: ${skipElectron}`);
if (!hasDbusDaemon) console.log('test/electron: the shell on a real session bus is SKIPPED: dbus-daemon is not installed');

const prompt = (id: string, name = 'Firefox'): Prompt => ({
  id, name,
  app: { kind: 'executable', path: '/usr/lib/firefox-esr/firefox-esr' },
  ports: [{ protocol: 'tcp', port: 8000, address: '0.0.0.0' }],
  profiles: ['public'],
  since: '2026-01-01T00:00:00Z',
});

// ---------------------------------------------------------------------------------------------

describe.skipIf(!hasDbusDaemon)('the shell on a real session bus (Electron faked)', () => {
  let bus: PrivateSessionBus;
  let notifications: FakeNotificationServer;
  let watcher: FakeStatusNotifierWatcher;
  let dir: string;
  let state: ShellState | undefined;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'palisade-shell-bus-'));
    await mkdir(join(dir, 'app/dist/renderer'), { recursive: true });
    await writeFile(join(dir, 'app/dist/renderer/index.html'), '<!doctype html><title>Palisade</title>');
    bus = await PrivateSessionBus.start();
    notifications = await bus.serve('org.freedesktop.Notifications', '/org/freedesktop/Notifications', new FakeNotificationServer());
    watcher = await bus.serve('org.kde.StatusNotifierWatcher', '/StatusNotifierWatcher', new FakeStatusNotifierWatcher());
  });
  afterEach(async () => {
    await state?.services?.stop();
    state?.notifications?.stop();
    state?.sessionBus?.disconnect();
    state = undefined;
    FakeBrowserWindow.instances = [];
    FakeTray.instances = [];
    vi.restoreAllMocks();
  });
  afterAll(async () => {
    await bus?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function boot(env: Record<string, string> = {}) {
    vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const fake = fakeElectron({ appPath: join(dir, 'app'), appData: join(dir, 'config') });
    state = runShell(fake.electron, {
      env: { DBUS_SESSION_BUS_ADDRESS: bus.address, PALISADE_SYSTEM_BUS: `unix:path=${join(dir, 'no-system-bus')}`, ...env },
      argv: ['electron', '.'], resourcesPath: join(dir, 'resources'), execPath: '/e',
    });
    await state.ready;
    return { ...fake, state };
  }

  it('finds the tray host on the session bus and creates the icon', async () => {
    const { state } = await boot();
    expect(state.trayAvailable).toBe(true);
    expect(FakeTray.instances).toHaveLength(1);
    expect(watcher.items).toEqual([]); // Electron's own tray registers there; the fake one does not.
  });

  it('without a tray host there is no icon, and closing the window will quit', async () => {
    watcher.IsStatusNotifierHostRegistered = false;
    try {
      const { state } = await boot();
      expect(state.trayAvailable).toBe(false);
      expect(FakeTray.instances).toHaveLength(0);
      expect(FakeBrowserWindow.instances[0]?.userClose()).toBe(true);
    } finally {
      watcher.IsStatusNotifierHostRegistered = true;
    }
  });

  it('a helper prompt becomes a notification; clicking it opens the window on Apps', async () => {
    const { state } = await boot({ LANGUAGE: 'en' });
    const window = FakeBrowserWindow.instances[0];
    window?.hide();
    const before = notifications.notified.length;
    state.services?.helper.emit('signal', { name: 'NewAppPrompt', payload: prompt('p-bus') });
    await vi.waitFor(() => expect(notifications.notified.length).toBe(before + 1), { timeout: 10_000 });
    const shown = notifications.notified.at(-1);
    // The fake app reports ja-JP as the system language.
    expect(shown?.summary).toBe('Palisade で Firefox の機能のいくつかがブロックされました');
    expect(shown?.actions.map(([key]) => key)).toEqual(['allow-private', 'allow-public', 'keep-blocked', 'default']);
    notifications.click(shown?.id ?? 0, 'default');
    await vi.waitFor(() => expect(window?.visible).toBe(true), { timeout: 10_000 });
    expect(window?.webContents.sent).toContainEqual([EVENT_IPC, { event: 'ui:navigate', payload: { screen: 'apps', promptId: 'p-bus' } }]);
  });
});

// ---------------------------------------------------------------------------------------------

/**
 * The page's globals as these tests use them (the test code is typed without the DOM library;
 * functions given to page.evaluate run in the page).
 */
type Win = Record<string, unknown> & {
  palisade: PalisadeApi;
  open(url: string): unknown;
  location: { href: string };
  document: { title: string; getElementById(id: string): { childElementCount: number } | null };
  received: unknown[][];
  navigations: unknown[];
};

/** The shell's state as the main process exposes it with PALISADE_TEST_HOOKS=1. */
interface Hooks {
  palisadeShell: {
    trayAvailable: boolean;
    tray?: { current(): TrayModel | undefined };
    services?: { helper: { emit(event: string, value: unknown): void; setInstalling(on: boolean): void } };
    window?: { isVisible(): boolean; close(): void; isDestroyed(): boolean };
    openWindow(nav?: unknown): void;
  };
}

describe.skipIf(skipElectron !== undefined)('the Electron app (Playwright _electron)', () => {
  let dir: string;
  let bus: PrivateSessionBus;
  let notifications: FakeNotificationServer;
  let watcher: FakeStatusNotifierWatcher;
  let app: ElectronApplication;
  let page: Page;

  beforeAll(async () => {
    if (!binary.found) return;
    dir = await mkdtemp(join(tmpdir(), 'palisade-electron-'));
    // An app directory of its own: package.json → dist/electron/main.cjs, built fresh; the icons
    // and system files from the checkout.
    const appDir = join(dir, 'app');
    await mkdir(appDir);
    const build = spawnSync(process.execPath, [join(ROOT, 'scripts/build.mjs'), '--out', join(appDir, 'dist'), 'renderer', 'electron'], { cwd: ROOT, encoding: 'utf8' });
    if (build.status !== 0) throw new Error(`build failed:\n${build.stdout}\n${build.stderr}`);
    await writeFile(join(appDir, 'package.json'), JSON.stringify({ name: 'palisade', productName: 'Palisade', version: packageJson.version, main: 'dist/electron/main.cjs' }));
    await symlink(join(ROOT, 'build'), join(appDir, 'build'));

    bus = await PrivateSessionBus.start();
    notifications = await bus.serve('org.freedesktop.Notifications', '/org/freedesktop/Notifications', new FakeNotificationServer());
    watcher = await bus.serve('org.kde.StatusNotifierWatcher', '/StatusNotifierWatcher', new FakeStatusNotifierWatcher());

    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
    app = await _electron.launch({
      executablePath: binary.path,
      args: [appDir],
      env: {
        ...env,
        PALISADE_TEST_HOOKS: '1',
        DBUS_SESSION_BUS_ADDRESS: bus.address,
        PALISADE_SYSTEM_BUS: `unix:path=${join(dir, 'no-system-bus')}`,
        XDG_CONFIG_HOME: join(dir, 'config'),
        LANGUAGE: 'en', LANG: 'en_US.UTF-8', LC_ALL: 'en_US.UTF-8',
      },
      timeout: 60_000,
    });
    app.process().stderr?.on('data', (d: Buffer) => process.stderr.write(`[electron] ${d.toString()}`));
    page = await app.firstWindow();
    await page.waitForLoadState('domcontentloaded');
  }, 180_000);

  afterAll(async () => {
    await app?.close();
    await bus?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('opens one window on app://palisade/ and renders the app', async () => {
    expect(app.windows()).toHaveLength(1);
    expect(page.url()).toBe('app://palisade/');
    await expect.poll(() => page.evaluate(() => (globalThis as unknown as Win).document.getElementById('root')?.childElementCount ?? 0), { timeout: 30_000 }).toBeGreaterThan(0);
    expect(await page.title()).toBe('Palisade');
  });

  it('serves the page with the CSP and security headers', async () => {
    const headers = await page.evaluate(async () => {
      const response = await fetch('app://palisade/');
      return Object.fromEntries(response.headers.entries());
    });
    expect(headers['content-security-policy']).toContain("script-src 'self'");
    expect(headers['x-content-type-options']).toBe('nosniff');
  });

  it('gives the page window.palisade and nothing of Node or Electron', async () => {
    const seen = await page.evaluate(() => {
      const w = globalThis as unknown as Win;
      return {
        keys: Object.keys(w.palisade).sort(),
        require: typeof w.require, process: typeof w.process, module: typeof w.module, Buffer: typeof w.Buffer,
        ipcRenderer: typeof w.ipcRenderer, electron: typeof w.electron,
      };
    });
    expect(seen).toEqual({ keys: ['invoke', 'on'], require: 'undefined', process: 'undefined', module: 'undefined', Buffer: 'undefined', ipcRenderer: 'undefined', electron: 'undefined' });
  });

  it('answers app:info through the preload and the sender check', async () => {
    const info = await page.evaluate(() => (globalThis as unknown as Win).palisade.invoke('app:info', {})) as IpcResponse<AppInfo>;
    expect(info).toEqual({ ok: true, value: { version: packageJson.version, labMode: false, trayAvailable: true, systemLanguages: expect.any(Array) } });
  });

  it('refuses channels outside the contract, and bad arguments', async () => {
    const answers = await page.evaluate(async () => {
      const api = (globalThis as unknown as { palisade: { invoke(c: string, a: unknown): Promise<unknown> } }).palisade;
      return Promise.all([api.invoke('shell:openExternal', { url: 'https://example.com' }), api.invoke('__proto__', {}), api.invoke('app:info', { extra: true })]);
    });
    expect(answers).toEqual([
      { ok: false, error: { code: 'invalid-args', message: expect.any(String) } },
      { ok: false, error: { code: 'invalid-args', message: expect.any(String) } },
      { ok: false, error: { code: 'invalid-args', message: expect.stringContaining('app:info') } },
    ]);
  });

  it('delivers events with the payload as the only argument', async () => {
    await page.evaluate(() => {
      const w = globalThis as unknown as Win;
      w.received = [];
      w.palisade.on('helper:state', (...args: unknown[]) => { w.received.push(args); });
    });
    await app.evaluate(() => { (globalThis as unknown as Hooks).palisadeShell.services?.helper.setInstalling(true); });
    await expect.poll(() => page.evaluate(() => (globalThis as unknown as Win).received), { timeout: 10_000 })
      .toContainEqual([expect.objectContaining({ installing: true })]);
    const lengths = await page.evaluate(() => (globalThis as unknown as Win).received.map((args) => args.length));
    expect(new Set(lengths)).toEqual(new Set([1]));
    await app.evaluate(() => { (globalThis as unknown as Hooks).palisadeShell.services?.helper.setInstalling(false); });
  });

  it('may write the clipboard (Settings\' Copy) but not read it', async () => {
    await page.bringToFront();
    const result = await page.evaluate(async () => {
      const clipboard = (globalThis as unknown as { navigator: { clipboard: { writeText(t: string): Promise<void>; readText(): Promise<string> } } }).navigator.clipboard;
      const wrote = await clipboard.writeText('palisade').then(() => 'ok', (err: Error) => err.name);
      const read = await clipboard.readText().then(() => 'ok', (err: Error) => err.name);
      return { wrote, read };
    });
    expect(result).toEqual({ wrote: 'ok', read: 'NotAllowedError' });
  });

  it('stays on app://palisade: no navigation away, no new windows', async () => {
    const opened = await page.evaluate(() => (globalThis as unknown as Win).open('https://example.com/') === null);
    expect(opened).toBe(true);
    await page.evaluate(() => { (globalThis as unknown as Win).location.href = 'https://example.com/'; }).catch(() => undefined);
    await page.waitForTimeout(500);
    expect(page.url()).toBe('app://palisade/');
    expect(app.windows()).toHaveLength(1);
  });

  it('has a tray icon, registered with the tray host, with the Palisade menu', async () => {
    const model = await app.evaluate(() => {
      const shell = (globalThis as unknown as Hooks).palisadeShell;
      return { available: shell.trayAvailable, model: shell.tray?.current() };
    });
    expect(model.available).toBe(true);
    expect(model.model?.items.map((i) => i.id)).toEqual(['network', 'separator', 'stealth', 'shields', 'separator', 'open', 'quit']);
    expect(model.model?.items.find((i) => i.id === 'open')?.label).toBe('Open Palisade');
    // No helper: the icon says so, and the check items are off.
    expect(model.model?.icon).toBe('missing');
    expect(model.model?.items.find((i) => i.id === 'stealth')?.enabled).toBe(false);
    // Electron's StatusNotifierItem registered with our stand-in host.
    await expect.poll(() => watcher.items.length, { timeout: 10_000 }).toBeGreaterThan(0);
  });

  it('asks about a new app with a desktop notification; a click opens the window on Apps', async () => {
    await page.evaluate(() => {
      const w = globalThis as unknown as Win;
      w.navigations = [];
      w.palisade.on('ui:navigate', (nav: unknown) => { w.navigations.push(nav); });
    });
    const before = notifications.notified.length;
    await app.evaluate((_electron, payload) => {
      (globalThis as unknown as Hooks).palisadeShell.services?.helper.emit('signal', { name: 'NewAppPrompt', payload });
    }, prompt('p-electron', 'Firefox'));
    await expect.poll(() => notifications.notified.length, { timeout: 10_000 }).toBe(before + 1);
    const shown = notifications.notified.at(-1);
    expect(shown?.summary).toBe('Palisade blocked some features of Firefox');
    notifications.click(shown?.id ?? 0, 'default');
    await expect.poll(() => page.evaluate(() => (globalThis as unknown as Win).navigations), { timeout: 10_000 })
      .toContainEqual({ screen: 'apps', promptId: 'p-electron' });
  });

  it('hides to the tray when the window is closed, and comes back', async () => {
    const hidden = await app.evaluate(async () => {
      const shell = (globalThis as unknown as Hooks).palisadeShell;
      shell.window?.close();
      await new Promise((r) => setTimeout(r, 300));
      return { destroyed: shell.window?.isDestroyed() ?? true, visible: shell.window?.isVisible() ?? false };
    });
    expect(hidden).toEqual({ destroyed: false, visible: false });
    const shown = await app.evaluate(() => {
      const shell = (globalThis as unknown as Hooks).palisadeShell;
      shell.openWindow();
      return shell.window?.isVisible() ?? false;
    });
    expect(shown).toBe(true);
  });
});
