// "Scan me": lines up what nmap saw from another host with what the predictor said, port by
// port. A port the prediction does not list is compared with what an unlisted port looks like.
import type { ScanResult } from '../../../../shared/ipc/contract';
import type { MethodResult } from '../../../../shared/dbus/contract';
import { canonicalAddress } from '../../../../shared/net/address';

type InterfaceExposure = MethodResult<'GetExposure'>[number];

export type Verdict = 'match' | 'app-answered' | 'differs' | 'no-result';

export interface ComparedPort {
  protocol: 'tcp' | 'udp';
  port: number;
  predicted: string;
  seen: string;
  /** The predictor did not list the port: it is "any other port". */
  unlisted: boolean;
  verdict: Verdict;
}

export interface ScanComparison {
  address: string;
  ports: ComparedPort[];
  ping: { predicted: boolean; seen: boolean; match: boolean };
  differences: number;
}

function sameAddress(a: string, b: string): boolean {
  try {
    return canonicalAddress(a) === canonicalAddress(b);
  } catch {
    return a === b;
  }
}

export function compareScan(exposure: InterfaceExposure, scan: ScanResult): ScanComparison {
  const listed = new Map(exposure.ports.filter((p) => sameAddress(p.address, scan.address)).map((p) => [`${p.protocol}/${p.port}`, p]));
  const ports = scan.ports.map((seen): ComparedPort => {
    const prediction = listed.get(`${seen.protocol}/${seen.port}`);
    const predicted = prediction?.state ?? exposure.unlistedPort[seen.protocol];
    let verdict: Verdict;
    if (seen.state === predicted) verdict = 'match';
    else if (!['open', 'closed', 'filtered', 'open|filtered'].includes(seen.state)) verdict = 'no-result';
    // A UDP program that answers nmap's probe shows "open" where silence was predicted.
    else if (seen.protocol === 'udp' && predicted === 'open|filtered' && seen.state === 'open' && prediction?.listening === true) verdict = 'app-answered';
    else verdict = 'differs';
    return { protocol: seen.protocol, port: seen.port, predicted, seen: seen.state, unlisted: !prediction, verdict };
  }).sort((a, b) => a.port - b.port || a.protocol.localeCompare(b.protocol));
  const ping = { predicted: exposure.ping, seen: scan.ping, match: exposure.ping === scan.ping };
  const differences = ports.filter((p) => p.verdict === 'differs' || p.verdict === 'no-result').length + (ping.match ? 0 : 1);
  return { address: scan.address, ports, ping, differences };
}
