// "Scan me" in the lab: nmap from the lab's outside namespace at one of the host's interfaces,
// over the ports the predictor lists for it (plus a few nobody mentioned), and a ping.
import type { ScanResult } from '../../shared/ipc/contract';
import type { LabPort } from '../../electron/main/ports';
import type { FirewallClient } from '../../electron/client/firewall-client';
import type { Lab } from '../lab/lab';
import { scanKey } from '../lab/nmap';

/** Ports nobody allowed, to show what an unlisted port looks like. */
const UNLISTED = [1, 9, 4444];

export class LabScanner implements LabPort {
  constructor(private readonly lab: Lab, private readonly client: () => Promise<Pick<FirewallClient, 'call'>>) {}

  async scan(interfaceName: string): Promise<ScanResult> {
    const link = this.lab.links.find((l) => l.hostIf === interfaceName);
    if (!link) throw new Error(`the lab has no interface ${interfaceName}`);
    const client = await this.client();
    const [exposure] = await client.call('GetExposure', { interface: interfaceName });
    const listed = (exposure?.ports ?? []).filter((p) => p.address === link.hostV4);
    const tcp = [...new Set([...listed.filter((p) => p.protocol === 'tcp').map((p) => p.port), ...UNLISTED])].sort((a, b) => a - b);
    const udp = [...new Set([...listed.filter((p) => p.protocol === 'udp').map((p) => p.port), ...UNLISTED])].sort((a, b) => a - b);
    const [seen, ping] = await Promise.all([this.lab.scan({ target: link.hostV4, tcp, udp }), this.lab.ping(link.hostV4)]);
    return {
      interface: interfaceName,
      address: link.hostV4,
      ping,
      ports: [
        ...tcp.map((port) => ({ protocol: 'tcp' as const, port, state: seen.get(scanKey('tcp', port)) ?? 'unknown' })),
        ...udp.map((port) => ({ protocol: 'udp' as const, port, state: seen.get(scanKey('udp', port)) ?? 'unknown' })),
      ],
    };
  }
}
