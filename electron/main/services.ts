// The main process's logic, put together once: the helper connection, the IPC handlers, the
// settings and the app names. The Electron shell and the lab bridge both start from here and only
// add their transport (Electron IPC, loopback HTTP) and, in a desktop session, the tray and the
// notifications (which need a session bus, so the shell starts them).
import type { AppInfo, Settings } from '../../shared/ipc/contract';
import { FirewallClient } from '../client/firewall-client';
import { HelperConnection } from './helper-connection';
import { createInvokeHandlers, forwardHelperEvents, type EventSink } from './handlers';
import type { InvokeHandlers } from './dispatch';
import type { InstallerPort, LabPort } from './ports';
import { SettingsStore } from './settings-store';
import { DesktopApps, systemLocale } from './desktop-apps';

export interface MainServices {
  helper: HelperConnection;
  handlers: InvokeHandlers;
  settings: SettingsStore;
  apps: DesktopApps;
  /** Sends the helper's state and signals and settings changes to `send`; returns the function that stops it. */
  forward(send: EventSink): () => void;
  /** Connects to the helper (resolves once connected, or known to be missing or unreachable). */
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface MainServicesOptions {
  /** The settings file, e.g. ~/.config/Palisade/settings.json. */
  settingsPath: string;
  info: () => AppInfo;
  /** The system bus to find the helper on; DBUS_SYSTEM_BUS_ADDRESS or the standard one otherwise. */
  systemBusAddress?: string;
  installer?: InstallerPort;
  lab?: LabPort;
  desktopApps?: DesktopApps;
}

export function createMainServices(opts: MainServicesOptions): MainServices {
  const settings = new SettingsStore(opts.settingsPath);
  // App names follow the app's language: the setting, or the system's first choice.
  let language: Settings['language'] = 'system';
  const onLanguage = (s: Settings) => { language = s.language; };
  settings.on('changed', onLanguage);
  const apps = opts.desktopApps ?? new DesktopApps({
    language: () => (language === 'system' ? opts.info().systemLanguages[0] ?? systemLocale() : language),
  });
  const helper = new HelperConnection({
    connect: () => FirewallClient.connect(opts.systemBusAddress !== undefined ? { busAddress: opts.systemBusAddress } : {}),
    canInstall: () => opts.installer?.available() ?? false,
  });
  const handlers = createInvokeHandlers({
    helper, apps, settings, info: opts.info,
    ...(opts.installer ? { installer: opts.installer } : {}),
    ...(opts.lab ? { lab: opts.lab } : {}),
  });

  return {
    helper, handlers, settings, apps,
    forward(send) {
      const stopHelperEvents = forwardHelperEvents(helper, send);
      const onSettings = (s: Settings) => send('settings:changed', s);
      settings.on('changed', onSettings);
      return () => {
        stopHelperEvents();
        settings.off('changed', onSettings);
      };
    },
    async start() {
      language = (await settings.get()).language;
      await helper.start();
    },
    async stop() {
      helper.stop();
    },
  };
}
