// "Scan me" for the desktop app in lab mode: the lab runner (root, the only one that can enter
// the lab's namespaces) serves org.palisade.Lab1 on the lab's private bus; this is its client.
import dbus from 'dbus-next';
import { ScanResultSchema, type ScanResult } from '../../shared/ipc/contract';
import { connectSystemBus } from '../common/system-bus';
import type { LabPort } from './ports';

export const LAB_BUS_NAME = 'org.palisade.Lab1';
export const LAB_OBJECT_PATH = '/org/palisade/Lab1';
export const LAB_INTERFACE = 'org.palisade.Lab1';

export class LabClient implements LabPort {
  constructor(private readonly busAddress?: string) {}

  async scan(interfaceName: string): Promise<ScanResult> {
    const bus = await connectSystemBus(this.busAddress);
    try {
      const reply = await bus.call(new dbus.Message({
        destination: LAB_BUS_NAME, path: LAB_OBJECT_PATH, interface: LAB_INTERFACE, member: 'Scan', signature: 's', body: [interfaceName],
      }));
      return ScanResultSchema.parse(JSON.parse(String(reply?.body[0])));
    } finally {
      bus.disconnect();
    }
  }
}
