// nmap from the outside namespace, and a reader for its XML report.
import { XMLParser } from 'fast-xml-parser';

export type ScanState = 'open' | 'closed' | 'filtered' | 'open|filtered' | 'unfiltered' | 'closed|filtered';
export type ScanProtocol = 'tcp' | 'udp';

export interface ScanRequest {
  target: string;
  tcp?: readonly number[];
  udp?: readonly number[];
}

/** `proto/port` → state, for every requested port. */
export type ScanReport = Map<string, ScanState>;

export const scanKey = (protocol: ScanProtocol, port: number) => `${protocol}/${port}`;

export function nmapArgs(req: ScanRequest): string[] {
  const tcp = req.tcp ?? [];
  const udp = req.udp ?? [];
  if (!tcp.length && !udp.length) throw new Error('nothing to scan');
  const ports = [tcp.length ? `T:${tcp.join(',')}` : '', udp.length ? `U:${udp.join(',')}` : ''].filter(Boolean).join(',');
  return [
    'nmap', '-n', '-Pn',
    ...(tcp.length ? ['-sS'] : []), ...(udp.length ? ['-sU'] : []),
    ...(req.target.includes(':') ? ['-6'] : []),
    '-p', ports,
    // A veth pair answers in microseconds; these bounds keep "filtered" verdicts quick but sure.
    '--max-retries', '2', '--initial-rtt-timeout', '100ms', '--max-rtt-timeout', '400ms',
    '-oX', '-', req.target,
  ];
}

function expandPorts(spec: string): number[] {
  return spec.split(',').flatMap((part) => {
    const [a, b] = part.split('-').map(Number);
    if (a === undefined || Number.isNaN(a)) return [];
    const end = b ?? a;
    return Array.from({ length: end - a + 1 }, (_, i) => a + i);
  });
}

const asArray = <T>(x: T | T[] | undefined): T[] => (x === undefined ? [] : Array.isArray(x) ? x : [x]);

interface XmlPort { protocol: ScanProtocol; portid: string | number; state: { state: ScanState } }
interface XmlExtraReasons { proto?: ScanProtocol; ports?: string }
interface XmlExtraPorts { state: ScanState; extrareasons?: XmlExtraReasons | XmlExtraReasons[] }

export function parseNmapXml(xml: string, req: ScanRequest): ScanReport {
  const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(xml);
  const host = asArray(doc?.nmaprun?.host)[0];
  if (!host) throw new Error(`nmap reported no host for ${req.target}:\n${xml}`);
  const report: ScanReport = new Map();
  for (const p of asArray<XmlPort>(host.ports?.port)) report.set(scanKey(p.protocol, Number(p.portid)), p.state.state);
  // nmap folds many ports in one state into <extraports>; the reasons say which ones.
  for (const extra of asArray<XmlExtraPorts>(host.ports?.extraports)) {
    for (const reason of asArray(extra.extrareasons)) {
      if (!reason.proto || !reason.ports) continue;
      for (const port of expandPorts(String(reason.ports))) report.set(scanKey(reason.proto, port), extra.state);
    }
  }
  const missing = [...(req.tcp ?? []).map((p) => scanKey('tcp', p)), ...(req.udp ?? []).map((p) => scanKey('udp', p))].filter((k) => !report.has(k));
  if (missing.length) throw new Error(`nmap did not report ${missing.join(', ')} for ${req.target}`);
  return report;
}
