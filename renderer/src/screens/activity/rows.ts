// The Activity table's rows — display text, a search haystack, sort keys — derived per socket
// snapshot, and for a listening socket the firewall's verdict on every interface address that
// would deliver packets to it (the exposure predictor, as the helper runs it).
import type { SocketEntry } from '../../../../shared/runtime/sockets';
import { isListeningEntry, isLoopbackOnly } from '../../../../shared/runtime/sockets';
import { predictPort, socketReceives, type ExposureContext, type PortPrediction, type ProbeTarget } from '../../../../shared/exposure/predict';
import { isLoopbackAddress } from '../../../../shared/net/address';
import { appKey, appDisplayName } from '../../../../shared/policy/identity';
import { formatAppIdentity } from '../../../../shared/policy/identity-text';
import type { Policy, ProfileName } from '../../../../shared/policy/schema';
import type { AppDescription } from '../../../../shared/ipc/contract';
import type { Status } from '../../../../shared/dbus/contract';
import { socketKey } from '../../store';

export interface Verdict {
  profile: ProfileName;
  reason: PortPrediction['reason'];
  state: PortPrediction['state'];
  /** Interfaces this verdict holds on. */
  interfaces: string[];
}

export type Decision =
  | { kind: 'connection' }
  | { kind: 'loopback' }
  /** Listening, but on no address of any interface the machine has now. */
  | { kind: 'unreachable' }
  /** The policy is not loaded yet. */
  | { kind: 'pending' }
  | { kind: 'firewall'; verdicts: Verdict[] };

export interface SocketRow {
  key: string;
  entry: SocketEntry;
  listening: boolean;
  local: string;
  remote: string;
  processName: string;
  pid: number | undefined;
  cmdline: string;
  user: string;
  appName: string;
  appIcon: string | undefined;
  /** The app's identity as the CLI writes it (path, script, flatpak:ID, …). */
  appIdentity: string | undefined;
  /** Lower-cased text the search box looks in. */
  haystack: string;
}

type Interfaces = Status['interfaces'];

/** `10.0.0.1:22`, `[fe80::1]:22`, `0.0.0.0%eth0:68` (bound to a device), as ss prints them. */
export function formatEndpoint(address: string, port: number, device?: string): string {
  const host = address.includes(':') ? `[${address}]` : address;
  return `${host}${device ? `%${device}` : ''}:${port}`;
}

function basename(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

function processName(entry: SocketEntry): string {
  const p = entry.process;
  if (!p) return '';
  if (p.exe) return basename(p.exe.replace(/ \(deleted\)$/, ''));
  return p.cmdline[0] ? basename(p.cmdline[0]) : '';
}

/** Every address a scanner could aim at, by interface; loopback is never filtered, so it is left out. */
function probeTargets(interfaces: Interfaces | undefined): ProbeTarget[] {
  const targets: ProbeTarget[] = [];
  for (const iface of interfaces ?? []) {
    if (iface.name === 'lo') continue;
    for (const address of iface.addresses) {
      try {
        if (!isLoopbackAddress(address)) targets.push({ interface: iface.name, address });
      } catch {
        // Not an address the predictor can read (a zone id, say): nothing to say about it.
      }
    }
  }
  return targets;
}

function receives(entry: SocketEntry, target: ProbeTarget): boolean {
  try {
    return socketReceives(entry, entry.protocol, target, entry.port);
  } catch {
    return false;
  }
}

const CONNECTION: Decision = { kind: 'connection' };
const LOOPBACK: Decision = { kind: 'loopback' };
const UNREACHABLE: Decision = { kind: 'unreachable' };
const PENDING: Decision = { kind: 'pending' };

export type Decide = (entry: SocketEntry) => Decision;

/**
 * The firewall's verdict for a socket, worked out when a row is shown and kept until the
 * policy, the interfaces or the set of listening sockets changes (connections come and go all
 * the time; what listens rarely changes). Predictions depend on the port and the target, not on
 * which socket asks, so sockets bound alike on one port share one answer.
 */
export class Decisions {
  private last: { policy: Policy | undefined; interfaces: Interfaces | undefined; signature: string; at: number; decide: Decide } | undefined;

  /** A rule may expire while nothing else changes: predictions are made afresh now and then. */
  static readonly MAX_AGE_MS = 15_000;

  decider(sockets: readonly SocketEntry[], policy: Policy | undefined, interfaces: Interfaces | undefined): Decide {
    const listening = sockets.filter(isListeningEntry);
    const signature = listening.map((s) => `${socketKey(s)}|${s.app ? appKey(s.app) : ''}`).join('\n');
    const now = Date.now();
    const last = this.last;
    if (last && last.policy === policy && last.interfaces === interfaces && last.signature === signature && now - last.at < Decisions.MAX_AGE_MS) return last.decide;
    const decide = makeDecider(listening, policy, interfaces, now);
    this.last = { policy, interfaces, signature, at: now, decide };
    return decide;
  }
}

function makeDecider(listening: readonly SocketEntry[], policy: Policy | undefined, interfaces: Interfaces | undefined, now: number): Decide {
  const ctx: ExposureContext | undefined = policy && {
    policy,
    runtime: { interfaces: Object.fromEntries((interfaces ?? []).map((i) => [i.name, i.profile])), now: new Date(now).toISOString() },
    sockets: listening,
  };
  const targets = probeTargets(interfaces);
  const predictions = targets.map(() => new Map<string, PortPrediction>());
  const decisions = new Map<string, Decision>();
  return (entry) => {
    if (!isListeningEntry(entry)) return CONNECTION;
    if (isLoopbackOnly(entry)) return LOOPBACK;
    if (!ctx) return PENDING;
    const shape = `${entry.protocol}|${entry.port}|${entry.address}|${entry.v6Only ?? ''}|${entry.boundInterface ?? ''}`;
    const known = decisions.get(shape);
    if (known) return known;
    const verdicts = new Map<string, Verdict>();
    targets.forEach((target, i) => {
      if (!receives(entry, target)) return;
      const portKey = `${entry.protocol}/${entry.port}`;
      const cache = predictions[i];
      let p = cache?.get(portKey);
      if (!p) {
        p = predictPort(ctx, target, entry.protocol, entry.port);
        cache?.set(portKey, p);
      }
      const ruleId = 'ruleId' in p.reason ? p.reason.ruleId : '';
      const groupKey = `${p.profile}|${p.reason.kind}|${ruleId}|${p.state}`;
      const group = verdicts.get(groupKey);
      if (!group) verdicts.set(groupKey, { profile: p.profile, reason: p.reason, state: p.state, interfaces: [target.interface] });
      else if (!group.interfaces.includes(target.interface)) group.interfaces.push(target.interface);
    });
    const decision: Decision = verdicts.size ? { kind: 'firewall', verdicts: [...verdicts.values()] } : UNREACHABLE;
    decisions.set(shape, decision);
    return decision;
  };
}

/** Did anything shown in a row change? Sockets arrive as new objects with every snapshot. */
function sameShown(a: SocketEntry, b: SocketEntry): boolean {
  return a.state === b.state && a.uid === b.uid && a.process?.pid === b.process?.pid && a.process?.exe === b.process?.exe
    && a.process?.user === b.process?.user && (a.app === b.app || (a.app !== undefined && b.app !== undefined && appKey(a.app) === appKey(b.app)));
}

/**
 * Rows for each snapshot. A socket that shows the same as in the last snapshot keeps its row
 * object, so a poll costs little and the rows on screen do not re-render. Make a new one when
 * the app descriptions change.
 */
export class RowCache {
  private rows = new Map<string, SocketRow>();

  constructor(private readonly apps: Record<string, AppDescription>) {}

  derive(sockets: readonly SocketEntry[]): SocketRow[] {
    const next = new Map<string, SocketRow>();
    const rows: SocketRow[] = [];
    for (const entry of sockets) {
      const key = socketKey(entry);
      if (next.has(key)) continue;
      const old = this.rows.get(key);
      const row = old && sameShown(old.entry, entry) ? old : makeRow(key, entry, this.apps);
      next.set(key, row);
      rows.push(row);
    }
    this.rows = next;
    return rows;
  }
}

function makeRow(key: string, entry: SocketEntry, apps: Record<string, AppDescription>): SocketRow {
  const isListening = isListeningEntry(entry);
  const description = entry.app ? apps[appKey(entry.app)] : undefined;
  const appName = description?.name ?? (entry.app ? appDisplayName(entry.app) : '');
  const name = processName(entry);
  const user = entry.process?.user ?? String(entry.process?.uid ?? entry.uid);
  const local = formatEndpoint(entry.address, entry.port, entry.boundInterface);
  const remote = isListening ? '' : formatEndpoint(entry.remoteAddress, entry.remotePort);
  return {
    key,
    entry,
    listening: isListening,
    local,
    remote,
    processName: name,
    pid: entry.process?.pid,
    cmdline: entry.process?.cmdline.join(' ') ?? '',
    user,
    appName,
    appIcon: description?.icon,
    appIdentity: entry.app ? formatAppIdentity(entry.app) : undefined,
    haystack: `${local} ${remote} ${entry.port} ${name} ${entry.process?.pid ?? ''} ${user} ${appName}`.toLowerCase(),
  };
}

export type Kind = 'all' | 'listening' | 'connections';
export type Protocol = 'all' | 'tcp' | 'udp';
export type SortColumn = 'protocol' | 'state' | 'local' | 'remote' | 'process' | 'user' | 'app';
export interface Sort { column: SortColumn; descending: boolean }

const STATE_ORDER: Record<SocketEntry['state'], number> = {
  LISTEN: 0, UNCONN: 0, SYN_RECV: 1, SYN_SENT: 2, ESTABLISHED: 3, CLOSE_WAIT: 4, FIN_WAIT1: 5, FIN_WAIT2: 6, CLOSING: 7, LAST_ACK: 8, TIME_WAIT: 9, CLOSE: 10,
};

const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });

function compareBy(column: SortColumn): (a: SocketRow, b: SocketRow) => number {
  switch (column) {
    case 'protocol': return (a, b) => a.entry.protocol.localeCompare(b.entry.protocol) || a.entry.family - b.entry.family;
    case 'state': return (a, b) => STATE_ORDER[a.entry.state] - STATE_ORDER[b.entry.state];
    case 'local': return (a, b) => a.entry.port - b.entry.port || collator.compare(a.entry.address, b.entry.address);
    case 'remote': return (a, b) => collator.compare(a.entry.remoteAddress, b.entry.remoteAddress) || a.entry.remotePort - b.entry.remotePort;
    case 'process': return (a, b) => collator.compare(a.processName, b.processName) || (a.pid ?? 0) - (b.pid ?? 0);
    case 'user': return (a, b) => collator.compare(a.user, b.user);
    case 'app': return (a, b) => collator.compare(a.appName, b.appName);
  }
}

/** Filtered, searched and sorted; empty values (no process, no app) go last either way. */
export function selectRows(rows: readonly SocketRow[], kind: Kind, protocol: Protocol, query: string, sort: Sort): SocketRow[] {
  const needle = query.trim().toLowerCase();
  const picked = rows.filter((r) => (kind === 'all' || (kind === 'listening') === r.listening)
    && (protocol === 'all' || r.entry.protocol === protocol)
    && (!needle || r.haystack.includes(needle)));
  const compare = compareBy(sort.column);
  const empty = (r: SocketRow) => (sort.column === 'process' ? !r.processName : sort.column === 'app' ? !r.appName : sort.column === 'remote' ? !r.remote : false);
  const sign = sort.descending ? -1 : 1;
  return picked.sort((a, b) => Number(empty(a)) - Number(empty(b)) || sign * compare(a, b) || sign * (a.entry.port - b.entry.port) || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}
