// A logged packet becomes a drop-log entry: the prefix says which profile and what decided, the
// payload says who knocked where. Everything but the interface name is known at once; the
// name is looked up later, once per batch.
import { parseDropLogPrefix } from '../../../shared/compiler/layout';
import type { DropEntry } from '../../../shared/runtime/droplog';
import type { NflogPacket } from './nflog';
import { parsePacket } from './packet';

/** A drop entry still holding the interface index. */
export type PendingDrop = Omit<DropEntry, 'interface'> & { ifindex: number };

/** A kernel timestamp further than this from the receive time is not wall-clock time (see below). */
const MAX_CLOCK_SKEW_MS = 60_000;

/** The entry for one logged packet; undefined for another table's prefix or an unreadable packet. */
export function pendingDrop(packet: NflogPacket, receivedAt: Date): PendingDrop | undefined {
  const decided = parseDropLogPrefix(packet.prefix);
  if (!decided || !packet.payload) return undefined;
  const summary = parsePacket(packet.payload);
  if (!summary) return undefined;
  const direction = decided.kind === 'out-default' || decided.kind === 'out-block' ? 'out' : 'in';
  const ifindex = (direction === 'in' ? packet.inIfindex ?? packet.outIfindex : packet.outIfindex ?? packet.inIfindex) ?? 0;
  return {
    time: timeOf(packet, receivedAt).toISOString(),
    ifindex,
    direction,
    profile: decided.profile,
    kind: decided.kind,
    ...(decided.id !== undefined ? { ruleId: decided.id } : {}),
    family: summary.family,
    protocol: summary.protocol,
    source: summary.source,
    ...(summary.sourcePort !== undefined ? { sourcePort: summary.sourcePort } : {}),
    destination: summary.destination,
    ...(summary.destinationPort !== undefined ? { destinationPort: summary.destinationPort } : {}),
  };
}

/**
 * The kernel's timestamp when it is wall-clock time, else the receive time. Most packets have
 * none (timestamping is off until a socket asks for it), and an outgoing packet's may be a
 * monotonic departure time (EDT pacing), which would read as 1970.
 */
function timeOf(packet: NflogPacket, receivedAt: Date): Date {
  const stamp = packet.timestamp;
  return stamp && Math.abs(stamp.getTime() - receivedAt.getTime()) <= MAX_CLOCK_SKEW_MS ? stamp : receivedAt;
}

/** The entry with its interface named (`if<N>` when the interface is gone already). */
export function namedDrop({ ifindex, ...rest }: PendingDrop, name: string | undefined): DropEntry {
  return { ...rest, interface: name ?? `if${ifindex}` };
}
