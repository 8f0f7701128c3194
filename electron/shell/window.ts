// The app window: sandboxed, context-isolated, no Node, web security on, our preload only.
// The BrowserWindow class is passed in (the shell gives Electron's, tests a fake).
import type { BrowserWindow as ElectronWindow } from 'electron';
import { APP_START_URL } from './trust';

export interface WindowOptions {
  /** The bundled preload (dist/electron/preload.cjs). */
  preload: string;
  /** The window icon (a PNG). */
  icon?: string;
  /** Load the page but stay hidden (started into the tray). */
  hidden?: boolean;
}

export function createAppWindow(BrowserWindow: typeof ElectronWindow, opts: WindowOptions): ElectronWindow {
  const window = new BrowserWindow({
    width: 1120,
    height: 760,
    minWidth: 720,
    minHeight: 480,
    show: false,
    title: 'Palisade',
    autoHideMenuBar: true,
    ...(opts.icon !== undefined ? { icon: opts.icon } : {}),
    webPreferences: {
      preload: opts.preload,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      safeDialogs: true,
      spellcheck: false,
      // Middle-click on a link (auxclick) must not open anything: the checklist's switch, kept for
      // Chromium builds that still have it. The guards that always hold are the window-open
      // handler (deny) and will-navigate in hardening.ts.
      disableBlinkFeatures: 'Auxclick',
    },
  });
  if (!opts.hidden) window.once('ready-to-show', () => window.show());
  window.loadURL(APP_START_URL).catch((err: unknown) => console.error(`palisade: cannot load ${APP_START_URL}:`, err));
  return window;
}

/** Brings the window up, wherever it was (hidden to the tray, minimised, behind others). */
export function showWindow(window: ElectronWindow | undefined): void {
  if (!window || window.isDestroyed()) return;
  if (window.isMinimized()) window.restore();
  window.show();
  window.focus();
}

/** What closing the window does: hide it to the tray while the app keeps running, else quit. */
export function closeAction(opts: { hasTray: boolean; quitting: boolean }): 'hide' | 'close' {
  return opts.hasTray && !opts.quitting ? 'hide' : 'close';
}
