// Electron, faked, for running the shell (electron/shell/) in plain Node: the parts of app,
// BrowserWindow, Tray, Menu, protocol, session, ipcMain and nativeImage the shell uses, recording
// what it does with them. Used by test/unit/shell-wiring.test.ts and, on a real session bus, by
// test/electron/app.test.ts.
import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import { vi } from 'vitest';
import type { ElectronModules } from '../../electron/shell/app-shell';
import type { FrameLike, InvokeEventLike } from '../../electron/shell/trust';

export interface MenuItemLike { id?: string; label?: string; type?: string; checked?: boolean; enabled?: boolean; click?: (item: { checked: boolean }) => void }

export class FakeTray extends EventEmitter {
  static instances: FakeTray[] = [];
  images: unknown[] = [];
  tooltip = '';
  menus: MenuItemLike[][] = [];
  destroyed = false;
  constructor(image: unknown) {
    super();
    this.images.push(image);
    FakeTray.instances.push(this);
  }
  setImage(image: unknown): void { this.images.push(image); }
  setToolTip(text: string): void { this.tooltip = text; }
  setContextMenu(menu: { template: MenuItemLike[] }): void { this.menus.push(menu.template); }
  isDestroyed(): boolean { return this.destroyed; }
  destroy(): void { this.destroyed = true; }
  get menu(): MenuItemLike[] { return this.menus.at(-1) ?? []; }
}

export const FakeMenu = {
  buildFromTemplate: (template: MenuItemLike[]) => ({ template }),
  setApplicationMenu: vi.fn(),
};

export class FakeWebContents extends EventEmitter {
  id = 11;
  url = '';
  loading = true;
  sent: unknown[][] = [];
  mainFrame: FrameLike = { url: '', parent: null, processId: 5, routingId: 1 };
  getURL() { return this.url; }
  isLoading() { return this.loading; }
  send(...args: unknown[]) { this.sent.push(args); }
}

export class FakeBrowserWindow extends EventEmitter {
  static instances: FakeBrowserWindow[] = [];
  webContents = new FakeWebContents();
  visible = false;
  destroyed = false;
  constructor(readonly options: Record<string, unknown>) {
    super();
    FakeBrowserWindow.instances.push(this);
  }
  async loadURL(url: string) {
    this.webContents.url = url;
    this.webContents.mainFrame = { ...this.webContents.mainFrame, url };
    this.webContents.loading = false;
    this.emit('ready-to-show');
  }
  show() { this.visible = true; }
  hide() { this.visible = false; }
  focus() {}
  isVisible() { return this.visible; }
  isMinimized() { return false; }
  restore() {}
  isDestroyed() { return this.destroyed; }
  /** What the user's close button does: `close`, then (unless prevented) `closed`. */
  userClose(): boolean {
    let stopped = false;
    this.emit('close', { preventDefault: () => { stopped = true; } });
    if (!stopped) {
      this.destroyed = true;
      this.emit('closed');
    }
    return !stopped;
  }
}

export function fakeElectron(opts: { lock?: boolean; appPath: string; appData: string }) {
  const calls: string[] = [];
  const paths = new Map<string, string>([['appData', opts.appData]]);
  let protocolHandler: ((request: Request) => Promise<Response>) | undefined;
  let invoke: ((event: InvokeEventLike, channel: unknown, args: unknown) => Promise<unknown>) | undefined;
  const app = Object.assign(new EventEmitter(), {
    isPackaged: false,
    setPath: (name: string, value: string) => { paths.set(name, value); },
    getPath: (name: string) => paths.get(name) ?? join(opts.appData, name),
    getAppPath: () => opts.appPath,
    getVersion: () => '0.1.0',
    getPreferredSystemLanguages: () => ['ja-JP'],
    requestSingleInstanceLock: () => { calls.push('lock'); return opts.lock ?? true; },
    whenReady: () => { calls.push('whenReady'); return Promise.resolve(); },
    quit: vi.fn(() => {
      calls.push('quit');
      app.emit('before-quit');
      let stopped = false;
      app.emit('will-quit', { preventDefault: () => { stopped = true; } });
      if (!stopped) calls.push('exited');
    }),
    exit: vi.fn(),
  });
  const electron = {
    app,
    BrowserWindow: FakeBrowserWindow,
    dialog: { showErrorBox: vi.fn() },
    ipcMain: {
      handle: (channel: string, handler: typeof invoke) => { calls.push(`handle ${channel}`); invoke = handler; },
      removeHandler: (channel: string) => { calls.push(`removeHandler ${channel}`); },
    },
    Menu: FakeMenu,
    nativeImage: { createFromPath: (path: string) => ({ path }) },
    protocol: {
      registerSchemesAsPrivileged: (schemes: unknown) => { calls.push(`registerSchemes ${JSON.stringify(schemes)}`); },
      handle: (scheme: string, handler: typeof protocolHandler) => { calls.push(`protocol.handle ${scheme}`); protocolHandler = handler; },
    },
    session: {
      defaultSession: {
        setPermissionRequestHandler: () => calls.push('setPermissionRequestHandler'),
        setPermissionCheckHandler: () => calls.push('setPermissionCheckHandler'),
        setDevicePermissionHandler: () => calls.push('setDevicePermissionHandler'),
        webRequest: { onBeforeRequest: () => calls.push('onBeforeRequest') },
        on: (event: string) => calls.push(`on ${event}`),
      },
    },
    Tray: FakeTray,
  };
  return {
    electron: electron as unknown as ElectronModules,
    app,
    calls,
    protocol: () => protocolHandler,
    invoke: () => invoke,
  };
}

