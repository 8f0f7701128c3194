// Rows of the "Recent blocked attempts" table: each drop-log entry with its addresses, time and
// the rule or default that decided, in words, and the text the search looks in. A row is made
// once per entry (and per language and policy): a new batch of entries only makes rows for the
// new ones, so the rows on screen do not re-render.
import type { DropEntry } from '../../../../shared/runtime/droplog';
import type { DropItem } from '../../store';
import { formatEndpoint } from './rows';

export interface DropRow {
  key: number;
  entry: DropEntry;
  time: string;
  /** The full date and time, for the tooltip. */
  when: string;
  source: string;
  destination: string;
  protocol: string;
  decided: string;
  /** The rule or app named in "decided by", when there is one. */
  ruleId: string | undefined;
  haystack: string;
}

export interface DropLabels {
  language: string;
  /** "Block rule ssh (SSH from the LAN)", "Not allowed (default)", … */
  decided: (entry: DropEntry) => string;
}

function endpoint(address: string, port: number | undefined): string {
  return port === undefined ? address : formatEndpoint(address, port);
}

/** TCP, UDP, ICMP, ICMPv6 as people write them. */
export function protocolName(protocol: string): string {
  const p = protocol.toLowerCase();
  if (p === 'ipv6-icmp' || p === 'icmpv6') return 'ICMPv6';
  return p.toUpperCase();
}

export class DropRowCache {
  private rows = new Map<number, DropRow>();
  private readonly today = new Date().toDateString();

  constructor(private readonly labels: DropLabels) {}

  derive(items: readonly DropItem[]): DropRow[] {
    const next = new Map<number, DropRow>();
    const rows: DropRow[] = [];
    // Newest first.
    for (let i = items.length - 1; i >= 0; i--) {
      const item = items[i] as DropItem;
      const row = this.rows.get(item.id) ?? this.make(item);
      next.set(item.id, row);
      rows.push(row);
    }
    this.rows = next;
    return rows;
  }

  private make({ id, entry }: DropItem): DropRow {
    const at = new Date(entry.time);
    const valid = !Number.isNaN(at.getTime());
    const lang = this.labels.language;
    const time = !valid ? entry.time
      : at.toDateString() === this.today ? at.toLocaleTimeString(lang)
        : at.toLocaleString(lang, { dateStyle: 'short', timeStyle: 'medium' });
    const source = endpoint(entry.source, entry.sourcePort);
    const destination = endpoint(entry.destination, entry.destinationPort);
    const decided = this.labels.decided(entry);
    const protocol = protocolName(entry.protocol);
    return {
      key: id, entry, time, when: valid ? at.toLocaleString(lang, { dateStyle: 'full', timeStyle: 'long' }) : entry.time,
      source, destination, protocol, decided, ruleId: entry.ruleId,
      haystack: `${source} ${destination} ${entry.destinationPort ?? ''} ${entry.interface} ${entry.profile} ${protocol} ${decided} ${entry.ruleId ?? ''} ${entry.kind}`.toLowerCase(),
    };
  }
}

export type DropDirection = 'all' | 'in' | 'out';
export type DropProtocol = 'all' | 'tcp' | 'udp' | 'icmp';

export function selectDrops(rows: readonly DropRow[], direction: DropDirection, protocol: DropProtocol, query: string): DropRow[] {
  const needle = query.trim().toLowerCase();
  if (direction === 'all' && protocol === 'all' && !needle) return rows as DropRow[];
  return rows.filter((r) => (direction === 'all' || r.entry.direction === direction)
    && (protocol === 'all' || (protocol === 'icmp' ? r.protocol.startsWith('ICMP') : r.entry.protocol.toLowerCase() === protocol))
    && (!needle || r.haystack.includes(needle)));
}
