// The Electron app's life, from before `ready` to quit: one instance, the app:// protocol, the
// locked-down session, the window, IPC, the main-process services, the tray and notifications.
// Electron's modules are passed in by main.ts (the only main-process file that loads Electron),
// so the whole sequence also runs in plain Node against fakes (test/unit/shell-wiring.test.ts).
import type {
  App, BrowserWindow as ElectronWindow, Dialog, IpcMain, Menu, nativeImage as NativeImageModule, Protocol,
  session as SessionModule, Tray,
} from 'electron';
import type { MessageBus } from 'dbus-next';
import { join } from 'node:path';
import type { EventPayload } from '../../shared/ipc/contract';
import { createMainServices, type MainServices } from '../main/services';
import { HelperInstaller } from '../main/installer';
import { LabClient } from '../main/lab-client';
import { APP_SCHEME } from './trust';
import { APP_SCHEMES, createAppHandler } from './protocol';
import { hardenWebContents, lockDownSession } from './hardening';
import { closeAction, createAppWindow, showWindow } from './window';
import { createEventSink, registerInvokeHandler } from './ipc';
import { TrayController } from './tray';
import { connectSessionBus } from './session-bus';
import { detectTrayHost } from './tray-host';
import { startNotifications, type Notifications } from './notify';
import { resolveMainLanguage } from './language';
import { shellPaths } from './paths';

export interface ElectronModules {
  app: App;
  BrowserWindow: typeof ElectronWindow;
  dialog: Pick<Dialog, 'showErrorBox'>;
  ipcMain: Pick<IpcMain, 'handle' | 'removeHandler'>;
  Menu: Pick<typeof Menu, 'buildFromTemplate' | 'setApplicationMenu'>;
  nativeImage: Pick<typeof NativeImageModule, 'createFromPath'>;
  protocol: Pick<Protocol, 'registerSchemesAsPrivileged' | 'handle'>;
  session: Pick<typeof SessionModule, 'defaultSession'>;
  Tray: typeof Tray;
}

export interface ShellEnvironment {
  env: Readonly<Record<string, string | undefined>>;
  argv: readonly string[];
  /** process.resourcesPath: where a package keeps the helper, the system files and the icons. */
  resourcesPath: string;
  /** process.execPath: the Electron binary, which can run the helper as Node. */
  execPath: string;
}

/** What is running: for the Playwright suite (read through the main process) and the unit tests. */
export interface ShellState {
  /** Settles once the app is up (or failed to start). */
  ready: Promise<void>;
  window: ElectronWindow | undefined;
  tray: TrayController | undefined;
  trayAvailable: boolean;
  services: MainServices | undefined;
  notifications: Notifications | undefined;
  sessionBus: MessageBus | undefined;
  /** Shows the window, on a screen when one is given (what a notification click does). */
  openWindow(nav?: EventPayload<'ui:navigate'>): void;
}

const STOP_TIMEOUT_MS = 3000;

/** Call once, synchronously, at start-up: some of it must happen before Electron is ready. */
export function runShell(electron: ElectronModules, environment: ShellEnvironment): ShellState {
  const { app } = electron;
  const { env } = environment;
  const cleanups: (() => unknown)[] = [];
  let quitting = false;
  let stopped = false;

  const state: ShellState = {
    ready: Promise.resolve(),
    window: undefined,
    tray: undefined,
    trayAvailable: false,
    services: undefined,
    notifications: undefined,
    sessionBus: undefined,
    openWindow(nav) {
      const window = state.window;
      if (!window || window.isDestroyed()) return;
      showWindow(window);
      if (!nav) return;
      const navigate = () => sink('ui:navigate', nav);
      if (window.webContents.isLoading()) window.webContents.once('did-finish-load', navigate);
      else navigate();
    },
  };
  const sink = createEventSink(() => state.window);

  // ---- before ready ----
  electron.protocol.registerSchemesAsPrivileged(APP_SCHEMES);
  // The same settings directory in a checkout and in a package (~/.config/Palisade).
  app.setPath('userData', join(app.getPath('appData'), 'Palisade'));
  app.on('web-contents-created', (_event, contents) => hardenWebContents(contents));

  if (!app.requestSingleInstanceLock()) {
    // Another Palisade runs: it shows its window (second-instance) and this one leaves.
    app.quit();
    return state;
  }
  app.on('second-instance', () => state.openWindow());
  app.on('before-quit', () => { quitting = true; });
  // With a tray, closing only hides the window, so this means: no tray, the window was closed.
  app.on('window-all-closed', () => app.quit());
  app.on('will-quit', (event) => {
    if (stopped) return;
    event.preventDefault();
    void stop().finally(() => {
      stopped = true;
      app.quit();
    });
  });

  async function stop(): Promise<void> {
    for (const cleanup of cleanups.splice(0).reverse()) {
      try {
        await Promise.race([cleanup(), new Promise((resolve) => setTimeout(resolve, STOP_TIMEOUT_MS).unref())]);
      } catch (err) {
        console.warn('palisade: while quitting:', err);
      }
    }
  }

  async function start(): Promise<void> {
    const paths = shellPaths({ appPath: app.getAppPath(), resourcesPath: environment.resourcesPath, isPackaged: app.isPackaged });
    // No menu bar: the app has none, and Electron's default one offers reload and DevTools.
    electron.Menu.setApplicationMenu(null);
    lockDownSession(electron.session.defaultSession);
    electron.protocol.handle(APP_SCHEME, createAppHandler(paths.renderer));

    const sessionBus = await connectSessionBus(env.DBUS_SESSION_BUS_ADDRESS);
    state.sessionBus = sessionBus;
    if (sessionBus) cleanups.push(() => sessionBus.disconnect());
    state.trayAvailable = await detectTrayHost(sessionBus, env.PALISADE_TRAY);

    // The lab runs its own system bus; PALISADE_SYSTEM_BUS names it (DBUS_SYSTEM_BUS_ADDRESS works too).
    const systemBusAddress = env.PALISADE_SYSTEM_BUS || env.DBUS_SYSTEM_BUS_ADDRESS || undefined;
    const labMode = env.PALISADE_LAB === '1';
    const installer = new HelperInstaller({
      scriptPath: paths.installScript,
      bundleDir: paths.helperBundle,
      // An AppImage's binary lives in a mount that is gone once it quits: no use to the helper.
      ...(env.APPIMAGE ? {} : { electronBinary: environment.execPath }),
    });
    const services = createMainServices({
      settingsPath: join(app.getPath('userData'), 'settings.json'),
      info: () => ({ version: app.getVersion(), labMode, trayAvailable: state.trayAvailable, systemLanguages: app.getPreferredSystemLanguages() }),
      ...(systemBusAddress !== undefined ? { systemBusAddress } : {}),
      installer,
      ...(labMode ? { lab: new LabClient(systemBusAddress) } : {}),
    });
    state.services = services;
    cleanups.push(() => services.stop());

    let settings = await services.settings.get();
    const onSettings = (next: typeof settings) => {
      settings = next;
      state.tray?.render();
    };
    services.settings.on('changed', onSettings);
    cleanups.push(() => services.settings.off('changed', onSettings));
    const language = () => resolveMainLanguage(settings.language, app.getPreferredSystemLanguages());

    cleanups.push(registerInvokeHandler(electron.ipcMain, { handlers: services.handlers, window: () => state.window }));
    cleanups.push(services.forward(sink));

    // `--hidden` (autostart): straight into the tray, when there is one. The page loads anyway,
    // so a notification click finds it ready.
    const window = createAppWindow(electron.BrowserWindow, {
      preload: paths.preload,
      icon: paths.windowIcon,
      hidden: state.trayAvailable && environment.argv.includes('--hidden'),
    });
    state.window = window;
    window.on('close', (event) => {
      if (closeAction({ hasTray: state.tray !== undefined, quitting }) === 'hide') {
        event.preventDefault();
        window.hide();
      }
    });
    window.on('closed', () => { state.window = undefined; });
    window.webContents.on('render-process-gone', (_event, details) => console.error(`palisade: the window's renderer is gone (${details.reason})`));

    if (state.trayAvailable) {
      const tray = new TrayController({
        Tray: electron.Tray,
        Menu: electron.Menu,
        icon: (name) => electron.nativeImage.createFromPath(join(paths.trayIcons, `${name}.png`)),
        helper: services.helper,
        language,
        openWindow: () => state.openWindow(),
        quit: () => app.quit(),
      });
      try {
        tray.start();
        state.tray = tray;
        cleanups.push(() => tray.stop());
      } catch (err) {
        console.warn('palisade: no tray icon:', err);
        tray.stop();
        state.trayAvailable = false;
        if (!window.isVisible()) window.show();
      }
    }

    if (sessionBus) {
      const notifications = startNotifications(sessionBus, {
        helper: services.helper,
        settings: services.settings,
        language,
        openWindow: (nav) => state.openWindow(nav),
        icon: paths.windowIcon,
      });
      state.notifications = notifications;
      cleanups.push(() => notifications.stop());
    }

    // Connects to the helper; missing or unreachable are states the window shows, not errors.
    await services.start();
  }

  state.ready = app.whenReady().then(start).catch((err: unknown) => {
    const text = err instanceof Error ? err.stack ?? err.message : String(err);
    console.error(`palisade: cannot start: ${text}`);
    electron.dialog.showErrorBox('Palisade could not start', text);
    app.exit(1);
  });
  return state;
}
