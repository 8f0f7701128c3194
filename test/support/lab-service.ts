// The lab runner's side of "Scan me": org.palisade.Lab1 on the lab's private bus, answering
// Scan(interface) with a real nmap run from the outside namespace (electron/main/lab-client.ts).
import dbus, { type MessageBus } from 'dbus-next';
import { LAB_BUS_NAME, LAB_INTERFACE, LAB_OBJECT_PATH } from '../../electron/main/lab-client';
import { connectSystemBus } from '../../electron/common/system-bus';
import type { LabPort } from '../../electron/main/ports';

export async function serveLabScans(busAddress: string, scanner: LabPort): Promise<{ stop(): void }> {
  const bus: MessageBus = await connectSystemBus(busAddress);
  bus.addMethodHandler((msg: InstanceType<typeof dbus.Message>) => {
    if (msg.path !== LAB_OBJECT_PATH || msg.interface !== LAB_INTERFACE || msg.member !== 'Scan') return false;
    const [iface] = msg.body as unknown[];
    if (msg.signature !== 's' || typeof iface !== 'string') {
      bus.send(dbus.Message.newError(msg as never, 'org.freedesktop.DBus.Error.InvalidArgs', 'Scan takes one interface name'));
      return true;
    }
    scanner.scan(iface).then(
      (result) => bus.send(dbus.Message.newMethodReturn(msg, 's', [JSON.stringify(result)])),
      (err: unknown) => bus.send(dbus.Message.newError(msg as never, 'org.freedesktop.DBus.Error.Failed', (err as Error).message)),
    );
    return true;
  });
  await bus.requestName(LAB_BUS_NAME, dbus.NameFlag.DO_NOT_QUEUE);
  return { stop: () => { bus.addMethodHandler(() => true); bus.disconnect(); } };
}
