// The Electron shell without Electron: everything in electron/shell/ takes Electron's modules as
// arguments (only main.ts and preload.ts load them), so it runs here against fakes. Covered: who
// may call the main process (sender checks), what the preload gives the page, the app:// protocol
// (files, path traversal, headers), the web-contents and session lock-down, the window's
// webPreferences, the tray menu and its actions, tray-host detection, the whole start-up and quit
// sequence, and two rules of the tree: only electron/shell/ imports Electron, and only its
// main.ts and preload.ts at run time. Finally the packaging config's structure.
// What needs the real binary (contextBridge, sandboxed preload, real IPC frames, a real tray) is
// in test/electron/app.test.ts.
import { afterAll, afterEach, beforeAll, describe, expect, it, vi, type Mock } from 'vitest';
import { EventEmitter } from 'node:events';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { isTrustedInvoke, isTrustedSender, APP_START_URL, type FrameLike, type InvokeEventLike, type WindowLike } from '../../electron/shell/trust';
import {
  API_NAME, EVENT_IPC, INVOKE_IPC, PRELOAD_EVENT_CHANNELS, PRELOAD_INVOKE_CHANNELS, createPreloadApi, type IpcRendererLike,
} from '../../electron/shell/preload-api';
import { APP_SCHEMES, contentType, createAppHandler, resolveAppPath } from '../../electron/shell/protocol';
import { hardenWebContents, isAllowedRequest, lockDownSession } from '../../electron/shell/hardening';
import { closeAction, createAppWindow } from '../../electron/shell/window';
import { createEventSink, FORBIDDEN, registerInvokeHandler } from '../../electron/shell/ipc';
import { TrayController, type TrayDeps } from '../../electron/shell/tray';
import { detectTrayHost } from '../../electron/shell/tray-host';
import { resolveMainLanguage } from '../../electron/shell/language';
import { shellPaths } from '../../electron/shell/paths';
import { findElectronBinary } from '../../electron/shell/electron-binary';
import { runShell, type ShellState } from '../../electron/shell/app-shell';
import type { InvokeHandlers } from '../../electron/main/dispatch';
import type { HelperConnection } from '../../electron/main/helper-connection';
import { API_GLOBAL, EVENT_CHANNELS, INVOKE_CHANNELS, type AppInfo, type HelperState } from '../../shared/ipc/contract';
import type { Status } from '../../shared/dbus/contract';
import { RENDERER_CSP, SECURITY_HEADERS } from '../../electron/main/csp';
import { FakeBrowserWindow, FakeMenu, FakeTray, fakeElectron } from '../electron/fake-electron';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

// ---------------------------------------------------------------------------------------------
// Fakes

const frame = (url: string, patch: Partial<FrameLike> = {}): FrameLike => ({ url, parent: null, processId: 7, routingId: 1, ...patch });

function fakeWindow(url = APP_START_URL): WindowLike & { webContents: WindowLike['webContents'] & { getURL(): string; send: Mock<(channel: string, ...args: unknown[]) => void> } } {
  return {
    isDestroyed: () => false,
    webContents: { id: 3, mainFrame: frame(url), getURL: () => url, send: vi.fn<(channel: string, ...args: unknown[]) => void>() },
  };
}

/** A web contents: records the handlers the hardening installs. */
class FakeContents extends EventEmitter {
  openHandler: (() => { action: string }) | undefined;
  setWindowOpenHandler(handler: () => { action: string }): void {
    this.openHandler = handler;
  }
}

/** Emits a navigation-like event; true when a handler prevented it. */
function prevented(contents: EventEmitter, event: string, url: string): boolean {
  let stopped = false;
  contents.emit(event, { url, preventDefault: () => { stopped = true; } });
  return stopped;
}

const connected: HelperState = { connection: 'connected', notAuthorized: false, canInstall: false, installing: false };
const profile = { enabled: true, stealth: true, shieldsUp: false, answerPing: false, defaultInbound: 'block', defaultOutbound: 'allow', notify: true, scanDetection: { enabled: false, ports: 20, withinSeconds: 5, blockSeconds: 600 }, antiSpoofing: true, outboundEssentials: { dns: true, dhcp: true, ntp: true } } as const;
const STATUS: Status = {
  version: '0.1.0', revision: 1,
  policy: { path: '/etc/palisade/policy.json', source: 'file' },
  profiles: { private: { ...profile }, public: { ...profile } },
  interfaces: [{ name: 'wlan0', profile: 'public', pinned: false, network: { key: 'nm:1', name: 'Café', known: true }, addresses: [] }],
  networkSource: 'networkmanager',
  resolvers: [],
  counts: { apps: 0, portRules: 0, listening: 0, prompts: 0 },
};

/** The helper connection as the tray sees it: a state, signals, and calls it records. */
class FakeHelper extends EventEmitter {
  current: HelperState = connected;
  calls: { method: string; args: unknown; opts: unknown }[] = [];
  fail: Error | undefined;
  status: Status = STATUS;
  state(): HelperState {
    return this.current;
  }
  async call(method: string, args: unknown, opts?: unknown): Promise<unknown> {
    this.calls.push({ method, args, opts });
    if (method === 'GetStatus') return this.status;
    if (this.fail) throw this.fail;
    return { revision: 2 };
  }
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

// ---------------------------------------------------------------------------------------------

describe('sender checks (trust.ts)', () => {
  it.each([
    ['app://palisade/', true],
    ['app://palisade/index.html', true],
    ['app://palisade/assets/x.js?v=1#top', true],
    ['app://evil/', false],
    ['app://palisade.evil/', false],
    ['app://palisade:8080/', false],
    ['app://user@palisade/', false],
    ['https://palisade/', false],
    ['file:///opt/Palisade/resources/app.asar/dist/renderer/index.html', false],
    ['http://127.0.0.1:5173/', false],
    ['devtools://devtools/bundled/inspector.html', false],
    ['about:blank', false],
    ['', false],
    ['not a url', false],
  ])('%s → %s', (url, trusted) => {
    expect(isTrustedSender(url)).toBe(trusted);
  });

  it('accepts only our window, its main frame, showing our page', () => {
    const window = fakeWindow();
    const main = window.webContents.mainFrame;
    const ok: InvokeEventLike = { sender: { id: 3 }, senderFrame: main };
    expect(isTrustedInvoke(ok, window)).toBe(true);
    expect(isTrustedInvoke({ sender: { id: 3 }, senderFrame: frame(APP_START_URL) }, window)).toBe(true);
    // A subframe (the CSP forbids frames, but if one existed)…
    expect(isTrustedInvoke({ sender: { id: 3 }, senderFrame: frame(APP_START_URL, { parent: main, routingId: 2 }) }, window)).toBe(false);
    // …another frame id in the same contents, another web contents, a page elsewhere.
    expect(isTrustedInvoke({ sender: { id: 3 }, senderFrame: frame(APP_START_URL, { routingId: 9 }) }, window)).toBe(false);
    expect(isTrustedInvoke({ sender: { id: 4 }, senderFrame: main }, window)).toBe(false);
    expect(isTrustedInvoke({ sender: { id: 3 }, senderFrame: frame('https://example.com/') }, window)).toBe(false);
    // A frame that navigated away or was destroyed; no window; a destroyed window.
    expect(isTrustedInvoke({ sender: { id: 3 }, senderFrame: null }, window)).toBe(false);
    expect(isTrustedInvoke(ok, undefined)).toBe(false);
    expect(isTrustedInvoke(ok, { ...window, isDestroyed: () => true })).toBe(false);
  });
});

describe('the preload API (preload-api.ts)', () => {
  function fakeIpc() {
    const listeners = new Map<string, Set<(event: unknown, ...args: unknown[]) => void>>();
    const ipc = {
      invoke: vi.fn(async (..._args: unknown[]): Promise<unknown> => ({ ok: true, value: 'answer' })),
      on: vi.fn((channel: string, listener: (event: unknown, ...args: unknown[]) => void) => {
        listeners.set(channel, (listeners.get(channel) ?? new Set()).add(listener));
      }),
      removeListener: vi.fn((channel: string, listener: (event: unknown, ...args: unknown[]) => void) => {
        listeners.get(channel)?.delete(listener);
      }),
    } satisfies IpcRendererLike;
    /** What main's webContents.send would deliver, with an IpcRendererEvent that must not leak. */
    const push = (message: unknown) => {
      const secret = { sender: { send: () => 'ipcRenderer!' }, ports: [] };
      for (const listener of listeners.get(EVENT_IPC) ?? []) listener(secret, message);
    };
    return { ipc, push, listeners };
  }

  it('is exposed as window.palisade, with exactly invoke and on', () => {
    expect(API_NAME).toBe(API_GLOBAL);
    expect(Object.keys(createPreloadApi(fakeIpc().ipc)).sort()).toEqual(['invoke', 'on']);
  });

  it('knows exactly the channels and events of the contract', () => {
    expect([...PRELOAD_INVOKE_CHANNELS].sort()).toEqual([...INVOKE_CHANNELS].sort());
    expect([...PRELOAD_EVENT_CHANNELS].sort()).toEqual([...EVENT_CHANNELS].sort());
  });

  it('sends contract channels on palisade:invoke and returns the answer', async () => {
    const { ipc } = fakeIpc();
    const api = createPreloadApi(ipc);
    expect(await api.invoke('firewall:sockets', { listening: true })).toEqual({ ok: true, value: 'answer' });
    expect(ipc.invoke).toHaveBeenCalledWith(INVOKE_IPC, 'firewall:sockets', { listening: true });
  });

  it.each(['shell:openExternal', 'app:quit', '__proto__', 'constructor', 'toString', 'hasOwnProperty', '', 42, null, undefined, { channel: 'app:info' }])(
    'refuses %j without asking the main process',
    async (channel) => {
      const { ipc } = fakeIpc();
      const api = createPreloadApi(ipc);
      const answer = await api.invoke(channel as never, {} as never);
      expect(answer).toMatchObject({ ok: false, error: { code: 'invalid-args' } });
      expect(ipc.invoke).not.toHaveBeenCalled();
    },
  );

  it('turns a failed IPC call into an error value', async () => {
    const { ipc } = fakeIpc();
    ipc.invoke.mockRejectedValueOnce(new Error("No handler registered for 'palisade:invoke'"));
    expect(await createPreloadApi(ipc).invoke('app:info', {})).toMatchObject({ ok: false, error: { code: 'unavailable', message: /No handler registered/ } });
  });

  it('hands listeners the payload only, never the IpcRendererEvent', () => {
    const { ipc, push } = fakeIpc();
    const api = createPreloadApi(ipc);
    const got: unknown[][] = [];
    api.on('helper:state', (...args: unknown[]) => { got.push(args); });
    push({ event: 'helper:state', payload: connected });
    expect(got).toEqual([[connected]]);
  });

  it('delivers each event to its own listeners and drops unknown or malformed ones', () => {
    const { ipc, push } = fakeIpc();
    const api = createPreloadApi(ipc);
    const state = vi.fn();
    const navigate = vi.fn();
    api.on('helper:state', state);
    api.on('ui:navigate', navigate);
    push({ event: 'ui:navigate', payload: { screen: 'apps' } });
    push({ event: 'shell:secret', payload: 1 });
    push({ event: '__proto__', payload: 1 });
    push('helper:state');
    push(null);
    expect(navigate).toHaveBeenCalledExactlyOnceWith({ screen: 'apps' });
    expect(state).not.toHaveBeenCalled();
  });

  it('refuses to subscribe to unknown events and keeps one IPC listener, removed with the last', () => {
    const { ipc, push, listeners } = fakeIpc();
    const api = createPreloadApi(ipc);
    const unknown = vi.fn();
    api.on('shell:secret' as never, unknown);
    expect(ipc.on).not.toHaveBeenCalled();
    const a = vi.fn();
    const b = vi.fn();
    const offA = api.on('helper:state', a);
    const offB = api.on('firewall:status', b);
    expect(ipc.on).toHaveBeenCalledTimes(1);
    expect(listeners.get(EVENT_IPC)?.size).toBe(1);
    offA();
    push({ event: 'helper:state', payload: connected });
    expect(a).not.toHaveBeenCalled();
    offB();
    expect(ipc.removeListener).toHaveBeenCalledTimes(1);
    expect(listeners.get(EVENT_IPC)?.size).toBe(0);
  });

  it('keeps delivering when one listener throws', () => {
    const { ipc, push } = fakeIpc();
    const api = createPreloadApi(ipc);
    const error = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const after = vi.fn();
    api.on('helper:state', () => { throw new Error('page bug'); });
    api.on('helper:state', after);
    push({ event: 'helper:state', payload: connected });
    expect(after).toHaveBeenCalledOnce();
    error.mockRestore();
  });

  it('the bundled preload loads nothing but electron (a sandboxed preload cannot)', () => {
    const source = readFileSync(join(ROOT, 'electron/shell/preload-api.ts'), 'utf8');
    // Only types from the contract: no zod, no schemas in the preload.
    for (const line of source.split('\n').filter((l) => /^import /.test(l))) expect(line).toMatch(/^import type /);
    const preload = readFileSync(join(ROOT, 'electron/shell/preload.ts'), 'utf8');
    const imports = [...preload.matchAll(/from '([^']+)'/g)].map((m) => m[1]);
    expect(imports).toEqual(['electron', './preload-api']);
  });
});

describe('the app:// protocol (protocol.ts)', () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'palisade-protocol-'));
    await mkdir(join(root, 'renderer/assets'), { recursive: true });
    await writeFile(join(root, 'renderer/index.html'), '<!doctype html><title>Palisade</title>');
    await writeFile(join(root, 'renderer/assets/app.js'), 'console.log(1)');
    await writeFile(join(root, 'secret.txt'), 'outside the renderer');
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('is registered standard and secure, with fetch', () => {
    expect(APP_SCHEMES).toEqual([{ scheme: 'app', privileges: { standard: true, secure: true, supportFetchAPI: true } }]);
  });

  it('maps URLs into the renderer directory and nowhere else', () => {
    const base = join(root, 'renderer');
    expect(resolveAppPath(base, 'app://palisade/')).toBe(join(base, 'index.html'));
    expect(resolveAppPath(base, 'app://palisade/assets/app.js?x=1#y')).toBe(join(base, 'assets/app.js'));
    expect(resolveAppPath(base, 'app://palisade/assets/')).toBe(join(base, 'assets/index.html'));
    // Dot segments, also percent-encoded ones, are resolved by URL parsing before the handler
    // sees them (as Chromium does): they stay inside the root.
    for (const url of ['app://palisade/../secret.txt', 'app://palisade/%2e%2e/secret.txt', 'app://palisade/assets/.%2E/../../secret.txt']) {
      expect(resolveAppPath(base, url), url).toBe(join(base, 'secret.txt'));
    }
    // What survives parsing (an encoded slash or backslash, NUL, bad encoding) is refused.
    for (const url of [
      'app://palisade/assets/%2e%2e%2f%2e%2e%2fsecret.txt',
      'app://palisade/..%2fsecret.txt',
      'app://palisade/%2e%2e%5csecret.txt',
      'app://palisade/index.html%00.js',
      'app://palisade/%E0%A4%A',
      'app://other/index.html',
      'file:///etc/passwd',
      'nonsense',
    ]) {
      expect(resolveAppPath(base, url), url).toBeUndefined();
    }
  });

  it('serves files with the CSP and security headers', async () => {
    const handle = createAppHandler(join(root, 'renderer'));
    const page = await handle(new Request('app://palisade/'));
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<title>Palisade</title>');
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('content-security-policy')).toBe(RENDERER_CSP);
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) expect(page.headers.get(name)).toBe(value);
    const script = await handle(new Request('app://palisade/assets/app.js'));
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(await script.text()).toBe('console.log(1)');
  });

  it('answers 404 outside the renderer or for missing files, 405 for other methods', async () => {
    const handle = createAppHandler(join(root, 'renderer'));
    for (const url of ['app://palisade/%2e%2e/secret.txt', 'app://palisade/missing.js', 'app://evil/index.html']) {
      const response = await handle(new Request(url));
      expect(response.status, url).toBe(404);
      expect(response.headers.get('content-security-policy')).toBe(RENDERER_CSP);
    }
    expect((await handle(new Request('app://palisade/', { method: 'POST', body: 'x' }))).status).toBe(405);
    const head = await handle(new Request('app://palisade/', { method: 'HEAD' }));
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
  });

  it('knows the types the renderer build produces', () => {
    expect(contentType('a.css')).toBe('text/css; charset=utf-8');
    expect(contentType('a.svg')).toBe('image/svg+xml');
    expect(contentType('a.woff2')).toBe('font/woff2');
    expect(contentType('a.unknown')).toBe('application/octet-stream');
  });
});

describe('lock-down (hardening.ts)', () => {
  it('keeps every web contents on app://palisade, with no new windows and no webviews', () => {
    const contents = new FakeContents();
    hardenWebContents(contents as never);
    for (const event of ['will-navigate', 'will-frame-navigate', 'will-redirect']) {
      expect(prevented(contents, event, 'https://example.com/'), event).toBe(true);
      expect(prevented(contents, event, 'file:///etc/passwd'), event).toBe(true);
      expect(prevented(contents, event, 'app://elsewhere/'), event).toBe(true);
      expect(prevented(contents, event, 'app://palisade/index.html'), event).toBe(false);
    }
    let webview = false;
    contents.emit('will-attach-webview', { preventDefault: () => { webview = true; } }, {}, {});
    expect(webview).toBe(true);
    expect(contents.openHandler?.()).toEqual({ action: 'deny' });
  });

  it('grants only clipboard writing, only to our page; the page loads nothing from the network', () => {
    const handlers: Record<string, (...args: never[]) => unknown> = {};
    const session = {
      setPermissionRequestHandler: (h: never) => { handlers.request = h; },
      setPermissionCheckHandler: (h: never) => { handlers.check = h; },
      setDevicePermissionHandler: (h: never) => { handlers.device = h; },
      webRequest: { onBeforeRequest: (h: never) => { handlers.beforeRequest = h; } },
      on: (event: string, h: never) => { handlers[event] = h; },
    };
    lockDownSession(session as never);
    const request = (permission: string, requestingUrl: string) => {
      let granted: boolean | undefined;
      (handlers.request as unknown as (c: unknown, p: string, cb: (ok: boolean) => void, d: { requestingUrl: string }) => void)({}, permission, (ok) => { granted = ok; }, { requestingUrl });
      return granted;
    };
    expect(request('clipboard-sanitized-write', 'app://palisade/')).toBe(true);
    expect(request('clipboard-sanitized-write', 'https://example.com/')).toBe(false);
    for (const permission of ['clipboard-read', 'notifications', 'media', 'geolocation', 'openExternal', 'fullscreen', 'unknown']) {
      expect(request(permission, 'app://palisade/'), permission).toBe(false);
    }
    const check = handlers.check as unknown as (c: unknown, p: string, origin: string) => boolean;
    expect(check(null, 'clipboard-sanitized-write', 'app://palisade')).toBe(true);
    expect(check(null, 'clipboard-sanitized-write', 'https://example.com')).toBe(false);
    expect(check(null, 'clipboard-read', 'app://palisade')).toBe(false);
    expect(check(null, 'hid', 'app://palisade')).toBe(false);
    expect((handlers.device as unknown as () => boolean)()).toBe(false);

    const verdict = (url: string) => {
      let cancel: boolean | undefined;
      (handlers.beforeRequest as unknown as (d: { url: string }, cb: (r: { cancel: boolean }) => void) => void)({ url }, (r) => { cancel = r.cancel; });
      return cancel;
    };
    expect(verdict('https://example.com/track.js')).toBe(true);
    expect(verdict('http://127.0.0.1:8080/')).toBe(true);
    expect(verdict('file:///etc/passwd')).toBe(true);
    expect(verdict('blob:https://example.com/1234')).toBe(true);
    expect(verdict('app://palisade/assets/x.js')).toBe(false);
    expect(verdict('blob:app://palisade/7d3f')).toBe(false);
    expect(isAllowedRequest('data:image/png;base64,AAAA')).toBe(true);

    const downloadPrevented = (url: string) => {
      let stopped = false;
      (handlers['will-download'] as unknown as (e: { preventDefault(): void }, item: { getURL(): string }) => void)({ preventDefault: () => { stopped = true; } }, { getURL: () => url });
      return stopped;
    };
    // The policy export (a blob the page made) may be saved; nothing else.
    expect(downloadPrevented('blob:app://palisade/7d3f')).toBe(false);
    expect(downloadPrevented('https://example.com/malware.deb')).toBe(true);
    expect(downloadPrevented('blob:https://example.com/1234')).toBe(true);
  });
});

describe('the window (window.ts)', () => {
  it('is sandboxed, isolated, without Node, with our preload, on app://palisade/', () => {
    const created: { options: Record<string, unknown>; loaded?: string; shown: boolean }[] = [];
    class FakeBrowserWindow extends EventEmitter {
      record: { options: Record<string, unknown>; loaded?: string; shown: boolean };
      constructor(options: Record<string, unknown>) {
        super();
        this.record = { options, shown: false };
        created.push(this.record);
      }
      loadURL(url: string) { this.record.loaded = url; return Promise.resolve(); }
      show() { this.record.shown = true; }
    }
    const window = createAppWindow(FakeBrowserWindow as never, { preload: '/app/dist/electron/preload.cjs', icon: '/app/icon.png' });
    const record = created[0];
    expect(record?.options).toMatchObject({ show: false, icon: '/app/icon.png' });
    expect(record?.options.webPreferences).toEqual({
      preload: '/app/dist/electron/preload.cjs',
      contextIsolation: true, sandbox: true, nodeIntegration: false, nodeIntegrationInWorker: false, nodeIntegrationInSubFrames: false,
      webSecurity: true, allowRunningInsecureContent: false, experimentalFeatures: false, webviewTag: false,
      navigateOnDragDrop: false, safeDialogs: true, spellcheck: false, disableBlinkFeatures: 'Auxclick',
    });
    expect(record?.loaded).toBe('app://palisade/');
    (window as unknown as EventEmitter).emit('ready-to-show');
    expect(record?.shown).toBe(true);

    const hidden = createAppWindow(FakeBrowserWindow as never, { preload: '/p', hidden: true });
    (hidden as unknown as EventEmitter).emit('ready-to-show');
    expect(created[1]?.loaded).toBe('app://palisade/');
    expect(created[1]?.shown).toBe(false);
  });

  it('hides to the tray on close, unless quitting or there is no tray', () => {
    expect(closeAction({ hasTray: true, quitting: false })).toBe('hide');
    expect(closeAction({ hasTray: true, quitting: true })).toBe('close');
    expect(closeAction({ hasTray: false, quitting: false })).toBe('close');
  });
});

describe('IPC (ipc.ts)', () => {
  const info: AppInfo = { version: '9.9.9', labMode: false, trayAvailable: true, systemLanguages: ['en-GB'] };
  const handlers = { 'app:info': async () => info } as unknown as InvokeHandlers;

  function register(window: WindowLike | undefined) {
    let handler: ((event: InvokeEventLike, channel: unknown, args: unknown) => Promise<unknown>) | undefined;
    const ipcMain = {
      handle: vi.fn((channel: string, h: typeof handler) => { expect(channel).toBe(INVOKE_IPC); handler = h; }),
      removeHandler: vi.fn(),
    };
    const stop = registerInvokeHandler(ipcMain as never, { handlers, window: () => window });
    if (!handler) throw new Error('no handler registered');
    return { handler, stop, ipcMain };
  }

  it('answers our page through the dispatcher', async () => {
    const window = fakeWindow();
    const { handler } = register(window);
    const event = { sender: { id: 3 }, senderFrame: window.webContents.mainFrame };
    expect(await handler(event, 'app:info', {})).toEqual({ ok: true, value: info });
    expect(await handler(event, 'app:info', { extra: 1 })).toMatchObject({ ok: false, error: { code: 'invalid-args' } });
    expect(await handler(event, 'shell:exec', {})).toMatchObject({ ok: false, error: { code: 'invalid-args' } });
  });

  it('refuses anyone else with "forbidden", before looking at the request', async () => {
    const window = fakeWindow();
    const { handler } = register(window);
    expect(await handler({ sender: { id: 3 }, senderFrame: frame('https://example.com/') }, 'app:info', {})).toEqual(FORBIDDEN);
    expect(await handler({ sender: { id: 8 }, senderFrame: window.webContents.mainFrame }, 'app:info', {})).toEqual(FORBIDDEN);
    expect(await handler({ sender: { id: 3 }, senderFrame: null }, 'nonsense', {})).toEqual(FORBIDDEN);
    expect(await register(undefined).handler({ sender: { id: 3 }, senderFrame: window.webContents.mainFrame }, 'app:info', {})).toEqual(FORBIDDEN);
  });

  it('unregisters', () => {
    const { stop, ipcMain } = register(fakeWindow());
    stop();
    expect(ipcMain.removeHandler).toHaveBeenCalledWith(INVOKE_IPC);
  });

  it('sends events to our page only', () => {
    const ours = fakeWindow();
    createEventSink(() => ours)('helper:state', connected);
    expect(ours.webContents.send).toHaveBeenCalledWith(EVENT_IPC, { event: 'helper:state', payload: connected });
    const elsewhere = fakeWindow('https://example.com/');
    createEventSink(() => elsewhere)('helper:state', connected);
    expect(elsewhere.webContents.send).not.toHaveBeenCalled();
    expect(() => createEventSink(() => undefined)('helper:state', connected)).not.toThrow();
  });
});

describe('the tray (tray.ts)', () => {
  afterEach(() => { FakeTray.instances = []; });

  function start(helper: FakeHelper, extra: Partial<TrayDeps> = {}) {
    const deps = {
      Tray: FakeTray as never,
      Menu: FakeMenu as never,
      icon: (name: string) => ({ icon: name }) as never,
      helper: helper as unknown as HelperConnection,
      language: () => 'en' as const,
      openWindow: vi.fn(),
      quit: vi.fn(),
      onError: vi.fn(),
      ...extra,
    };
    const controller = new TrayController(deps);
    controller.start();
    const tray = FakeTray.instances.at(-1);
    if (!tray) throw new Error('no tray');
    return { controller, tray, deps };
  }
  const byId = (tray: FakeTray, id: string) => tray.menu.find((i) => i.id === id);

  it('shows the model: icon, tooltip and menu, once the status is known', async () => {
    const helper = new FakeHelper();
    const { tray } = start(helper);
    await tick();
    expect(helper.calls.map((c) => c.method)).toEqual(['GetStatus']);
    expect(tray.images.at(-1)).toEqual({ icon: 'stealth' });
    expect(tray.tooltip).toMatch(/stealth/);
    expect(tray.menu.map((i) => i.id ?? i.type)).toEqual(['network', 'separator', 'stealth', 'shields', 'separator', 'open', 'quit']);
    expect(byId(tray, 'network')).toMatchObject({ label: 'Public: Café (wlan0)', enabled: false });
    expect(byId(tray, 'stealth')).toMatchObject({ type: 'checkbox', checked: true, enabled: true });
    expect(byId(tray, 'shields')).toMatchObject({ type: 'checkbox', checked: false, enabled: true });
  });

  it('sets the menu again on every change (Linux shows a changed menu only then)', async () => {
    const helper = new FakeHelper();
    const { tray } = start(helper);
    await tick();
    const before = tray.menus.length;
    helper.emit('signal', { name: 'StatusChanged', payload: { ...STATUS, profiles: { ...STATUS.profiles, public: { ...profile, shieldsUp: true } } } });
    expect(tray.menus.length).toBe(before + 1);
    expect(tray.images.at(-1)).toEqual({ icon: 'shields' });
    expect(byId(tray, 'shields')?.checked).toBe(true);
    helper.current = { ...connected, connection: 'missing' };
    helper.emit('state', helper.current);
    expect(tray.menus.length).toBe(before + 2);
    expect(tray.images.at(-1)).toEqual({ icon: 'missing' });
    expect(byId(tray, 'stealth')?.enabled).toBe(false);
  });

  it('changes stealth and shields through the helper, interactively, on the profiles in force', async () => {
    const helper = new FakeHelper();
    const { tray } = start(helper);
    await tick();
    byId(tray, 'shields')?.click?.({ checked: true });
    await tick();
    expect(helper.calls.find((c) => c.method === 'ChangePolicy')).toEqual({
      method: 'ChangePolicy',
      args: { edits: [{ op: 'setProfile', profile: 'public', settings: { shieldsUp: true } }] },
      opts: { interactive: true },
    });
    byId(tray, 'stealth')?.click?.({ checked: false });
    await tick();
    expect(helper.calls.filter((c) => c.method === 'ChangePolicy').at(-1)?.args).toEqual({ edits: [{ op: 'setProfile', profile: 'public', settings: { stealth: false } }] });
  });

  it('puts the check mark back when the change is refused or cancelled', async () => {
    const helper = new FakeHelper();
    const { tray, deps } = start(helper);
    await tick();
    helper.fail = new Error('not authorised');
    const menus = tray.menus.length;
    byId(tray, 'stealth')?.click?.({ checked: false });
    await tick();
    await tick();
    expect(deps.onError).toHaveBeenCalledWith(helper.fail);
    expect(tray.menus.length).toBeGreaterThan(menus);
    expect(byId(tray, 'stealth')?.checked).toBe(true);
  });

  it('opens the window and quits', async () => {
    const helper = new FakeHelper();
    const { tray, deps } = start(helper);
    byId(tray, 'open')?.click?.({ checked: false });
    expect(deps.openWindow).toHaveBeenCalledOnce();
    tray.emit('click');
    expect(deps.openWindow).toHaveBeenCalledTimes(2);
    byId(tray, 'quit')?.click?.({ checked: false });
    expect(deps.quit).toHaveBeenCalledOnce();
  });

  it('speaks the language it is given and re-renders on demand', async () => {
    const helper = new FakeHelper();
    let language: 'en' | 'ja' = 'en';
    const { tray, controller } = start(helper, { language: () => language });
    await tick();
    expect(byId(tray, 'open')?.label).toBe('Open Palisade');
    language = 'ja';
    controller.render();
    expect(byId(tray, 'open')?.label).toBe('Palisade を開く');
  });

  it('stops listening and removes the icon', () => {
    const helper = new FakeHelper();
    const { tray, controller } = start(helper);
    controller.stop();
    expect(tray.destroyed).toBe(true);
    expect(helper.listenerCount('state') + helper.listenerCount('signal')).toBe(0);
  });
});

describe('tray host detection (tray-host.ts)', () => {
  /** A session bus where `watcher` is owned and says `registered`. */
  function bus(watcher: string | undefined, registered: boolean) {
    return {
      call: vi.fn(async (message: { member: string; body: unknown[] }) => {
        if (message.member === 'NameHasOwner') return { body: [message.body[0] === watcher] };
        if (message.member === 'Get') return { body: [{ signature: 'b', value: registered }] };
        throw new Error(`unexpected ${message.member}`);
      }),
    };
  }

  it('finds a StatusNotifierWatcher with a host', async () => {
    expect(await detectTrayHost(bus('org.kde.StatusNotifierWatcher', true) as never, undefined)).toBe(true);
    expect(await detectTrayHost(bus('org.freedesktop.StatusNotifierWatcher', true) as never, undefined)).toBe(true);
  });

  it('says no without a watcher, without a host, or without a session bus', async () => {
    expect(await detectTrayHost(bus(undefined, true) as never, undefined)).toBe(false);
    expect(await detectTrayHost(bus('org.kde.StatusNotifierWatcher', false) as never, undefined)).toBe(false);
    expect(await detectTrayHost(undefined, undefined)).toBe(false);
    const broken = { call: vi.fn(async () => { throw new Error('bus gone'); }) };
    expect(await detectTrayHost(broken as never, undefined)).toBe(false);
  });

  it('gives up on a watcher that never answers', async () => {
    vi.useFakeTimers();
    try {
      const silent = { call: vi.fn((message: { member: string }) => (message.member === 'NameHasOwner' ? Promise.resolve({ body: [true] }) : new Promise(() => undefined))) };
      const answer = detectTrayHost(silent as never, undefined);
      await vi.advanceTimersByTimeAsync(10_000);
      expect(await answer).toBe(false);
    } finally {
      vi.useRealTimers();
    }
  });

  it('follows PALISADE_TRAY', async () => {
    expect(await detectTrayHost(undefined, '1')).toBe(true);
    expect(await detectTrayHost(bus('org.kde.StatusNotifierWatcher', true) as never, '0')).toBe(false);
  });
});

describe('language and paths', () => {
  it.each([
    ['system', ['ja-JP', 'en-US'], 'ja'],
    ['system', ['ja_JP.UTF-8'], 'ja'],
    ['system', ['fr-FR', 'ja'], 'ja'],
    ['system', ['fr-FR', 'de'], 'en'],
    ['system', [], 'en'],
    ['en', ['ja-JP'], 'en'],
    ['ja', ['en-US'], 'ja'],
  ] as const)('%s with %j → %s', (setting, system, expected) => {
    expect(resolveMainLanguage(setting, system)).toBe(expected);
  });

  it('finds the files in a checkout and in a package', () => {
    expect(shellPaths({ appPath: '/src/palisade', resourcesPath: '/x/resources', isPackaged: false })).toEqual({
      renderer: '/src/palisade/dist/renderer',
      preload: '/src/palisade/dist/electron/preload.cjs',
      trayIcons: '/src/palisade/build/icons/tray',
      windowIcon: '/src/palisade/build/icons/app/256x256.png',
      helperBundle: '/src/palisade/dist',
      installScript: '/src/palisade/build/linux/install-helper.sh',
    });
    expect(shellPaths({ appPath: '/opt/Palisade/resources/app.asar', resourcesPath: '/opt/Palisade/resources', isPackaged: true })).toEqual({
      renderer: '/opt/Palisade/resources/app.asar/dist/renderer',
      preload: '/opt/Palisade/resources/app.asar/dist/electron/preload.cjs',
      trayIcons: '/opt/Palisade/resources/icons/tray',
      windowIcon: '/opt/Palisade/resources/icons/app/256x256.png',
      helperBundle: '/opt/Palisade/resources/helper',
      installScript: '/opt/Palisade/resources/linux/install-helper.sh',
    });
  });

  it('has every tray icon the model can ask for, at 1x and 2x, and the app icons', () => {
    for (const name of ['protected', 'stealth', 'shields', 'off', 'missing', 'unauthorized']) {
      for (const [file, size] of [[`${name}.png`, 22], [`${name}@2x.png`, 44]] as const) {
        const png = readFileSync(join(ROOT, 'build/icons/tray', file));
        expect(png.subarray(1, 4).toString(), file).toBe('PNG');
        expect([png.readUInt32BE(16), png.readUInt32BE(20)], file).toEqual([size, size]);
      }
      expect(existsSync(join(ROOT, 'build/icons/tray', `${name}.svg`))).toBe(true);
    }
    for (const size of [256, 512]) {
      const png = readFileSync(join(ROOT, 'build/icons/app', `${size}x${size}.png`));
      expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([size, size]);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// The whole start-up and quit sequence, with a fake Electron.

describe('start-up and quit (app-shell.ts)', () => {
  let dir: string;
  const shells: ShellState[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'palisade-shell-'));
    await mkdir(join(dir, 'app/dist/renderer'), { recursive: true });
    await writeFile(join(dir, 'app/dist/renderer/index.html'), '<!doctype html><title>Palisade</title>');
  });
  afterEach(async () => {
    for (const shell of shells.splice(0)) await shell.services?.stop();
    FakeBrowserWindow.instances = [];
    FakeTray.instances = [];
    vi.restoreAllMocks();
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function boot(env: Record<string, string> = {}, lock = true) {
    vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const fake = fakeElectron({ lock, appPath: join(dir, 'app'), appData: join(dir, 'config') });
    const state = runShell(fake.electron, {
      env: { PALISADE_SYSTEM_BUS: `unix:path=${join(dir, 'no-bus-here')}`, ...env },
      argv: ['electron', '.'],
      resourcesPath: join(dir, 'resources'),
      execPath: '/usr/lib/palisade-desktop/electron',
    });
    shells.push(state);
    await state.ready;
    return { ...fake, state };
  }

  it('registers app:// before ready, then locks down, serves, answers IPC and opens the window', async () => {
    const { calls, state, protocol, invoke, app } = await boot({ PALISADE_TRAY: '0' });
    expect(calls.indexOf(calls.find((c) => c.startsWith('registerSchemes')) ?? '')).toBeLessThan(calls.indexOf('whenReady'));
    expect(calls).toContain('lock');
    expect(calls).toEqual(expect.arrayContaining([
      'setPermissionRequestHandler', 'setPermissionCheckHandler', 'setDevicePermissionHandler', 'onBeforeRequest', 'on will-download', 'protocol.handle app', `handle ${INVOKE_IPC}`,
    ]));
    expect(app.getPath('userData')).toBe(join(dir, 'config/Palisade'));

    const [window] = FakeBrowserWindow.instances;
    expect(window?.webContents.url).toBe('app://palisade/');
    expect(window?.visible).toBe(true);
    expect(window?.options.webPreferences).toMatchObject({ preload: join(dir, 'app/dist/electron/preload.cjs'), sandbox: true, contextIsolation: true, nodeIntegration: false });

    const page = await protocol()?.(new Request('app://palisade/'));
    expect(await page?.text()).toContain('<title>Palisade</title>');
    expect(page?.headers.get('content-security-policy')).toBe(RENDERER_CSP);

    const event = { sender: { id: 11 }, senderFrame: window?.webContents.mainFrame ?? null };
    expect(await invoke()?.(event, 'app:info', {})).toEqual({ ok: true, value: { version: '0.1.0', labMode: false, trayAvailable: false, systemLanguages: ['ja-JP'] } });
    expect(await invoke()?.({ ...event, senderFrame: frame('https://example.com/') }, 'app:info', {})).toEqual(FORBIDDEN);
    // The helper is not there (no bus at that address): a state the window shows, not a failure.
    expect(state.services?.helper.state().connection).toBe('unreachable');
    expect(window?.webContents.sent).toContainEqual([EVENT_IPC, { event: 'helper:state', payload: expect.objectContaining({ connection: 'unreachable' }) }]);
  });

  it('hardens every web contents Electron creates', async () => {
    const { app } = await boot({ PALISADE_TRAY: '0' });
    const contents = new FakeContents();
    app.emit('web-contents-created', {}, contents);
    expect(prevented(contents, 'will-navigate', 'https://example.com/')).toBe(true);
    expect(contents.openHandler?.()).toEqual({ action: 'deny' });
  });

  it('without a tray: closing the window quits, after stopping everything', async () => {
    const { app, calls, state } = await boot({ PALISADE_TRAY: '0' });
    expect(state.tray).toBeUndefined();
    const [window] = FakeBrowserWindow.instances;
    expect(window?.userClose()).toBe(true);
    app.emit('window-all-closed');
    expect(app.quit).toHaveBeenCalled();
    await vi.waitFor(() => expect(calls).toContain('exited'));
    expect(calls).toContain(`removeHandler ${INVOKE_IPC}`);
  });

  it('with a tray: closing hides, the menu opens it again, Quit quits', async () => {
    const { calls, state } = await boot({ PALISADE_TRAY: '1' });
    expect(state.trayAvailable).toBe(true);
    const [window] = FakeBrowserWindow.instances;
    const [tray] = FakeTray.instances;
    expect(tray?.images[0]).toEqual({ path: join(dir, 'app/build/icons/tray/missing.png') });
    // Japanese, as the system prefers.
    expect(tray?.menu.find((i) => i.id === 'open')?.label).toBe('Palisade を開く');
    expect(window?.userClose()).toBe(false);
    expect(window?.visible).toBe(false);
    tray?.menu.find((i) => i.id === 'open')?.click?.({ checked: false });
    expect(window?.visible).toBe(true);
    tray?.menu.find((i) => i.id === 'quit')?.click?.({ checked: false });
    await vi.waitFor(() => expect(calls).toContain('exited'));
    expect(tray?.destroyed).toBe(true);
    // Quitting closes the window for real.
    expect(window?.userClose()).toBe(true);
  });

  it('starts hidden in the tray with --hidden, and shows the window for a second instance', async () => {
    const fake = fakeElectron({ appPath: join(dir, 'app'), appData: join(dir, 'config') });
    vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const state = runShell(fake.electron, {
      env: { PALISADE_SYSTEM_BUS: `unix:path=${join(dir, 'no-bus-here')}`, PALISADE_TRAY: '1' },
      argv: ['electron', '.', '--hidden'], resourcesPath: join(dir, 'resources'), execPath: '/e',
    });
    shells.push(state);
    await state.ready;
    const [window] = FakeBrowserWindow.instances;
    expect(window?.webContents.url).toBe('app://palisade/');
    expect(window?.visible).toBe(false);
    fake.app.emit('second-instance');
    expect(window?.visible).toBe(true);
  });

  it('a notification click opens the window on the screen it is about', async () => {
    const { state } = await boot({ PALISADE_TRAY: '1' });
    const [window] = FakeBrowserWindow.instances;
    window?.hide();
    state.openWindow({ screen: 'apps', promptId: 'p1' });
    expect(window?.visible).toBe(true);
    expect(window?.webContents.sent).toContainEqual([EVENT_IPC, { event: 'ui:navigate', payload: { screen: 'apps', promptId: 'p1' } }]);
  });

  it('a second instance leaves at once', async () => {
    const { calls, app } = await boot({}, false);
    expect(app.quit).toHaveBeenCalled();
    expect(calls).not.toContain('whenReady');
    expect(FakeBrowserWindow.instances).toEqual([]);
  });
});

describe('the built bundles, with a stand-in electron module (test/electron/stand-in-electron.cjs)', () => {
  const run = promisify(execFile);
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'palisade-bundles-'));
    await run(process.execPath, [join(ROOT, 'scripts/build.mjs'), '--out', join(dir, 'dist'), 'electron'], { cwd: ROOT });
    await mkdir(join(dir, 'dist/renderer'), { recursive: true });
    await writeFile(join(dir, 'dist/renderer/index.html'), '<!doctype html><title>Palisade</title>');
  }, 60_000);
  afterAll(async () => { await rm(dir, { recursive: true, force: true }); });

  /** Runs a bundle under the stand-in; returns its report. */
  async function report(bundle: string, env: Record<string, string>): Promise<Record<string, unknown>> {
    const { stdout } = await run(process.execPath, ['-r', join(ROOT, 'test/electron/stand-in-electron.cjs'), join(dir, 'dist/electron', bundle)], {
      cwd: dir, timeout: 30_000,
      env: { PATH: process.env.PATH ?? '', STAND_IN_APPDATA: join(dir, 'config'), STAND_IN_APP_PATH: dir, PALISADE_SYSTEM_BUS: `unix:path=${join(dir, 'no-bus')}`, ...env },
    });
    const line = stdout.split('\n').find((l) => l.startsWith('STAND-IN-REPORT '));
    if (!line) throw new Error(`no report from ${bundle}:\n${stdout}`);
    return JSON.parse(line.slice('STAND-IN-REPORT '.length)) as Record<string, unknown>;
  }

  it('main.cjs starts the shell: scheme, lock-down, protocol, IPC, window, tray; and quits', async () => {
    const r = await report('main.cjs', { PALISADE_TEST_HOOKS: '1', PALISADE_TRAY: '1' });
    expect(r).toMatchObject({
      schemes: APP_SCHEMES,
      protocols: ['app'],
      ipc: [INVOKE_IPC],
      sessionHandlers: ['request', 'check', 'device', 'beforeRequest', 'will-download'],
      windows: [{ url: 'app://palisade/', visible: true, webPreferences: expect.objectContaining({ preload: join(dir, 'dist/electron/preload.cjs'), sandbox: true, contextIsolation: true, nodeIntegration: false }) }],
      trays: 1,
      appInfo: { ok: true, value: { version: '0.0.0-stand-in', labMode: false, trayAvailable: true, systemLanguages: ['en-US'] } },
      forbidden: FORBIDDEN,
      page: { status: 200, csp: RENDERER_CSP },
      errors: [],
    });
  });

  it('preload.cjs exposes window.palisade = { invoke, on } and nothing else', async () => {
    const r = await report('preload.cjs', { STAND_IN_MODE: 'preload' });
    expect(r).toEqual({
      exposed: [{ name: 'palisade', keys: ['invoke', 'on'] }],
      invoke: { ok: true, value: 'from main' },
      refused: { ok: false, error: { code: 'invalid-args', message: 'unknown channel "shell:openExternal"' } },
      calls: [[INVOKE_IPC, 'app:info', {}]],
    });
  });
});

describe('finding the Electron binary without loading the electron package (electron-binary.ts)', () => {
  let dir: string;
  beforeAll(async () => { dir = await mkdtemp(join(tmpdir(), 'palisade-binary-')); });
  afterAll(async () => { await rm(dir, { recursive: true, force: true }); });

  async function executable(path: string): Promise<void> {
    await mkdir(join(path, '..'), { recursive: true });
    await writeFile(path, '#!/bin/sh\n');
    await chmod(path, 0o755);
  }

  it('says why when there is none (as here: the package has no dist/)', () => {
    const result = findElectronBinary(join(dir, 'empty'), {});
    expect(result).toMatchObject({ found: false, reason: expect.stringMatching(/no Electron binary: .*node_modules\/electron\/dist\/electron does not exist/) });
  });

  it('finds node_modules/electron/dist/<path.txt>', async () => {
    const root = join(dir, 'checkout');
    await executable(join(root, 'node_modules/electron/dist/electron-custom'));
    await writeFile(join(root, 'node_modules/electron/path.txt'), 'electron-custom');
    expect(findElectronBinary(root, {})).toEqual({ found: true, path: join(root, 'node_modules/electron/dist/electron-custom') });
  });

  it('prefers ELECTRON_OVERRIDE_DIST_PATH, and says when it holds no binary', async () => {
    const override = join(dir, 'unpacked');
    await executable(join(override, 'electron'));
    expect(findElectronBinary(join(dir, 'empty'), { ELECTRON_OVERRIDE_DIST_PATH: override })).toEqual({ found: true, path: join(override, 'electron') });
    expect(findElectronBinary(join(dir, 'empty'), { ELECTRON_OVERRIDE_DIST_PATH: join(dir, 'nothing') })).toMatchObject({ found: false, reason: /ELECTRON_OVERRIDE_DIST_PATH/ });
  });

  it('never loads the electron package (its index.js would download the binary)', () => {
    const source = readFileSync(join(ROOT, 'electron/shell/electron-binary.ts'), 'utf8');
    expect(ELECTRON_IMPORT.test(source)).toBe(false);
    expect(source).not.toMatch(/createRequire|require\(/);
  });
});

// ---------------------------------------------------------------------------------------------
// Rules of the tree

/** Every source file of the project (not dependencies, not build output). */
function sourceFiles(dir = ROOT): string[] {
  const skip = new Set(['node_modules', 'dist', 'release', '.git', 'test-results', '.scratch', 'coverage']);
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return skip.has(entry.name) ? [] : sourceFiles(path);
    return /\.(c|m)?(j|t)sx?$/.test(entry.name) ? [path] : [];
  });
}

// The electron module loaded in any form (import … from, a bare import, require, a dynamic
// import), subpaths such as electron/main included; not names that merely start with "electron"
// (electron-builder…). Comments count too: this file spells the forms out only in the test below.
const ELECTRON_IMPORT = /(?:\bfrom\s*|\bimport\s*\(?\s*|\brequire\s*\(\s*)(['"])electron(?:\/[^'"]*)?\1/;
const ELECTRON_VALUE_IMPORT = /(?:^|\n)\s*import\s+(?!type\b)[^;]*?from\s*(['"])electron(?:\/[^'"]*)?\1|\brequire\s*\(\s*(['"])electron\2|\bimport\s*\(\s*(['"])electron\3/;

describe('where Electron is loaded', () => {
  const files = sourceFiles();

  it('scans the tree', () => {
    expect(files.length).toBeGreaterThan(50);
    expect(files.map((f) => relative(ROOT, f))).toContain('electron/shell/main.ts');
  });

  it('only electron/shell/ imports electron, even for types', () => {
    const outside = files
      .filter((f) => !relative(ROOT, f).startsWith('electron/shell/'))
      .filter((f) => ELECTRON_IMPORT.test(readFileSync(f, 'utf8')))
      .map((f) => relative(ROOT, f));
    expect(outside).toEqual([]);
  });

  it('inside electron/shell/, only main.ts and preload.ts load it at run time (the rest takes it as arguments)', () => {
    const loading = files
      .filter((f) => relative(ROOT, f).startsWith('electron/shell/'))
      .filter((f) => ELECTRON_VALUE_IMPORT.test(readFileSync(f, 'utf8')))
      .map((f) => relative(ROOT, f))
      .sort();
    expect(loading).toEqual(['electron/shell/main.ts', 'electron/shell/preload.ts']);
  });

  it('the patterns catch every way of loading it', () => {
    // Spelled in pieces, so that this file does not import Electron by the patterns' own measure.
    const E = ['elec', 'tron'].join('');
    for (const text of [`import { app } from '${E}';`, `import type { App } from "${E}";`, `import '${E}';`, `const e = require('${E}');`,
      `await import('${E}')`, `import { ipcRenderer } from '${E}/renderer';`]) {
      expect(ELECTRON_IMPORT.test(text), text).toBe(true);
    }
    for (const text of [`import x from '${E}-builder';`, `const path = '${E}';`, `// ${E}`]) expect(ELECTRON_IMPORT.test(text), text).toBe(false);
    expect(ELECTRON_VALUE_IMPORT.test(`import type { App } from '${E}';`)).toBe(false);
    expect(ELECTRON_VALUE_IMPORT.test(`import type {\n  App,\n} from '${E}';\nimport { join } from 'node:path';`)).toBe(false);
    expect(ELECTRON_VALUE_IMPORT.test(`import * as electron from '${E}';`)).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------------
// build/electron-builder.yml

describe('the packaging config (build/electron-builder.yml)', () => {
  const text = readFileSync(join(ROOT, 'build/electron-builder.yml'), 'utf8');
  // js-yaml comes with electronegativity's eslint; electron-builder itself cannot run here.
  const require = createRequire(import.meta.url);
  let yaml: { safeLoad?: (s: string) => unknown; load: (s: string) => unknown } | undefined;
  try {
    yaml = require('js-yaml') as typeof yaml;
  } catch {
    yaml = undefined;
  }

  it('parses as YAML with the expected structure', () => {
    if (!yaml) {
      // Without a parser, at least the top-level keys must be there.
      for (const key of ['appId', 'productName', 'files', 'extraResources', 'linux', 'deb', 'electronFuses']) expect(text).toMatch(new RegExp(`^${key}:`, 'm'));
      return;
    }
    const config = (yaml.safeLoad ?? yaml.load)(text) as Record<string, unknown>;
    expect(config).toMatchObject({
      appId: 'org.palisade.Palisade',
      productName: 'Palisade',
      asar: true,
      linux: {
        target: ['deb', 'AppImage'],
        category: 'Network',
        desktop: { entry: { Name: 'Palisade', Categories: expect.stringMatching(/^Network;.*Security;$/) } },
      },
      electronFuses: { runAsNode: true, enableNodeOptionsEnvironmentVariable: false, onlyLoadAppFromAsar: true, grantFileProtocolExtraPrivileges: false },
    });
    expect(config.files).toEqual(expect.arrayContaining(['dist/electron/**/*', 'dist/renderer/**/*']));
    expect(config.extraResources).toEqual(expect.arrayContaining([
      { from: 'dist/palisaded.cjs', to: 'helper/palisaded.cjs' },
      { from: 'dist/node_modules', to: 'helper/node_modules' },
      { from: 'build/linux', to: 'linux' },
      expect.objectContaining({ from: 'build/icons', to: 'icons' }),
    ]));
    expect((config.deb as { depends: string[] }).depends).toEqual(expect.arrayContaining(['nftables', 'dbus', 'libnss3']));
  });

  it('names files that exist (or that the build makes), and the paths the shell looks in', () => {
    for (const path of ['build/linux/install-helper.sh', 'build/icons/app/256x256.png', 'build/icons/app/512x512.png', 'build/icons/tray/protected.png']) {
      expect(existsSync(join(ROOT, path)), path).toBe(true);
    }
    const packaged = shellPaths({ appPath: '/r/app.asar', resourcesPath: '/r', isPackaged: true });
    // extraResources puts build/icons at resources/icons and build/linux at resources/linux.
    expect(packaged.trayIcons).toBe('/r/icons/tray');
    expect(packaged.installScript).toBe('/r/linux/install-helper.sh');
    expect(packaged.helperBundle).toBe('/r/helper');
  });
});
