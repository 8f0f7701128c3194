// The user's session bus (desktop notifications, tray host detection). Optional: the app runs
// without one, it just cannot notify or find a tray.
import dbus, { type MessageBus } from 'dbus-next';

export async function connectSessionBus(address = process.env.DBUS_SESSION_BUS_ADDRESS, timeoutMs = 5000): Promise<MessageBus | undefined> {
  // Without an address dbus-next would try X11 autolaunch, which is not bundled.
  if (!address) return undefined;
  const bus = dbus.sessionBus({ busAddress: address });
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('timed out')), timeoutMs);
      bus.once('connect', () => { clearTimeout(timer); resolve(); });
      bus.once('error', (err: Error) => { clearTimeout(timer); reject(err); });
    });
  } catch (err) {
    console.warn(`palisade: no session bus at ${address} (${(err as Error).message}): no notifications, no tray detection`);
    bus.disconnect();
    return undefined;
  }
  // A broken connection later must not crash the app.
  bus.on('error', (err: Error) => console.warn(`palisade: session bus: ${err.message}`));
  return bus;
}
