// Connecting to the system bus. DBUS_SYSTEM_BUS_ADDRESS is honoured (tests run a private bus);
// an explicit address wins over it.
import dbus, { type MessageBus } from 'dbus-next';

export async function connectSystemBus(address?: string): Promise<MessageBus> {
  // dbus-next's systemBus() takes no address; sessionBus() is its generic "connect to this address".
  const bus = address ? dbus.sessionBus({ busAddress: address }) : dbus.systemBus();
  await new Promise<void>((resolve, reject) => {
    bus.once('connect', () => resolve());
    bus.once('error', (err: Error) => reject(new Error(`cannot reach the system bus (${address ?? process.env.DBUS_SYSTEM_BUS_ADDRESS ?? 'unix:path=/var/run/dbus/system_bus_socket'}): ${err.message}`)));
  });
  return bus;
}
