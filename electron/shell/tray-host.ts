// Is there a tray to put an icon in? Electron's Linux tray is a StatusNotifierItem; it shows
// only when a StatusNotifierWatcher with a registered host runs on the session bus (KDE, XFCE,
// Cinnamon, Ubuntu's GNOME; stock GNOME has none). PALISADE_TRAY=1 or 0 overrides the answer
// (e.g. for XEmbed-only trays, which Electron's GtkStatusIcon fallback can still use).
import dbus, { type MessageBus } from 'dbus-next';

const WATCHERS = ['org.kde.StatusNotifierWatcher', 'org.freedesktop.StatusNotifierWatcher'];
const WATCHER_PATH = '/StatusNotifierWatcher';
/** dbus-next calls have no timeout of their own: a watcher that never answers must not hold up the window. */
const CALL_TIMEOUT_MS = 2000;

async function call(bus: MessageBus, message: ConstructorParameters<typeof dbus.Message>[0]): Promise<unknown[]> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${message.member} timed out`)), CALL_TIMEOUT_MS);
  });
  try {
    const reply = await Promise.race([bus.call(new dbus.Message(message)), timeout]);
    return (reply?.body ?? []) as unknown[];
  } finally {
    clearTimeout(timer);
  }
}

async function hostRegistered(bus: MessageBus, watcher: string): Promise<boolean> {
  const [owned] = await call(bus, {
    destination: 'org.freedesktop.DBus', path: '/org/freedesktop/DBus', interface: 'org.freedesktop.DBus',
    member: 'NameHasOwner', signature: 's', body: [watcher],
  });
  if (owned !== true) return false;
  const [variant] = await call(bus, {
    destination: watcher, path: WATCHER_PATH, interface: 'org.freedesktop.DBus.Properties',
    member: 'Get', signature: 'ss', body: [watcher, 'IsStatusNotifierHostRegistered'],
  });
  return (variant as { value?: unknown } | undefined)?.value === true;
}

export async function detectTrayHost(bus: MessageBus | undefined, override = process.env.PALISADE_TRAY): Promise<boolean> {
  if (override === '1') return true;
  if (override === '0' || !bus) return false;
  for (const watcher of WATCHERS) {
    try {
      if (await hostRegistered(bus, watcher)) return true;
    } catch {
      // A watcher that does not answer the property is no host: try the next name.
    }
  }
  return false;
}
