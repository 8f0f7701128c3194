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

/** The sockets listening on one protocol and port, and what was worked out for them. */
interface PortState {
  sockets: SocketEntry[];
  /** The predictor's input for this port: a prediction reads only the sockets on its own port. */
  ctx: ExposureContext | undefined;
  /** Per probe target (by index), the prediction for this port. */
  predictions: (PortPrediction | undefined)[];
  /** Per way of binding (address, v6only, device), the decision. */
  decisions: Map<string, Decision>;
}

/** What holds while the policy and the interfaces stay the same (for at most MAX_AGE_MS). */
interface Basis {
  policy: Policy | undefined;
  interfaces: Interfaces | undefined;
  at: number;
  runtime: ExposureContext['runtime'];
  targets: ProbeTarget[];
  /** Decisions by what they say, so rows saying the same share one (and its words). */
  said: Map<string, Decision>;
  /** Per way of binding (address, v6only, device): which targets would reach such a socket, whatever its port. */
  reach: Map<string, boolean[]>;
}

/** Both lists hold the same sockets, owned by the same apps, in the same order. */
function sameSockets(a: readonly SocketEntry[], b: readonly SocketEntry[]): boolean {
  return a.length === b.length && a.every((s, i) => {
    const t = b[i] as SocketEntry;
    return s === t || (socketKey(s) === socketKey(t) && (s.app ? appKey(s.app) : '') === (t.app ? appKey(t.app) : ''));
  });
}

/**
 * The firewall's verdict for a socket, worked out when a row is shown and kept until the
 * policy or the interfaces change, or what listens on the socket's own port does (connections
 * come and go all the time; what listens rarely changes, and a prediction for a port depends on
 * the sockets on that port alone). Sockets bound alike on one port share one answer.
 */
export class Decisions {
  private basis: Basis | undefined;
  private ports = new Map<string, PortState>();
  private listening: SocketEntry[] = [];
  private decide: Decide | undefined;

  /** A rule may expire while nothing else changes: predictions are made afresh now and then. */
  static readonly MAX_AGE_MS = 15_000;

  decider(sockets: readonly SocketEntry[], policy: Policy | undefined, interfaces: Interfaces | undefined): Decide {
    const listening = sockets.filter(isListeningEntry);
    const now = Date.now();
    let basis = this.basis;
    const fresh = !basis || basis.policy !== policy || basis.interfaces !== interfaces || now - basis.at >= Decisions.MAX_AGE_MS;
    if (!basis || fresh) {
      basis = {
        policy, interfaces, at: now,
        runtime: { interfaces: Object.fromEntries((interfaces ?? []).map((i) => [i.name, i.profile])), now: new Date(now).toISOString() },
        targets: probeTargets(interfaces),
        said: new Map(),
        reach: new Map(),
      };
      this.basis = basis;
      this.ports = new Map();
    } else if (this.decide && listening.length === this.listening.length && listening.every((s, i) => s === this.listening[i])) {
      // The same socket objects (only connections changed): the same answers.
      return this.decide;
    }
    const byPort = new Map<string, SocketEntry[]>();
    for (const s of listening) {
      const key = `${s.protocol}/${s.port}`;
      const list = byPort.get(key);
      if (list) list.push(s);
      else byPort.set(key, [s]);
    }
    const ports = new Map<string, PortState>();
    let changed = fresh || byPort.size !== this.ports.size;
    for (const [key, list] of byPort) {
      const old = this.ports.get(key);
      if (old && sameSockets(old.sockets, list)) {
        ports.set(key, { ...old, sockets: list });
      } else {
        ports.set(key, newPortState(basis, list));
        changed = true;
      }
    }
    this.ports = ports;
    this.listening = listening;
    if (!changed && this.decide) return this.decide;
    this.decide = makeDecide(basis, ports);
    return this.decide;
  }
}

function newPortState(basis: Basis, sockets: SocketEntry[]): PortState {
  const ctx = basis.policy && { policy: basis.policy, runtime: basis.runtime, sockets };
  return { sockets, ctx, predictions: [], decisions: new Map() };
}

function makeDecide(basis: Basis, ports: Map<string, PortState>): Decide {
  // Asked for every row shown, every frame the table scrolls: known answers are a lookup.
  return (entry) => {
    if (!isListeningEntry(entry)) return CONNECTION;
    const portKey = `${entry.protocol}/${entry.port}`;
    let port = ports.get(portKey);
    if (!port) {
      // A socket the decider was not made with: judged as if nothing listened on its port.
      port = newPortState(basis, []);
      ports.set(portKey, port);
    }
    const shape = `${entry.address}|${entry.v6Only ?? ''}|${entry.boundInterface ?? ''}`;
    const known = port.decisions.get(shape);
    if (known) return known;
    // Loopback-only depends on the address and the device alone, which the shape holds.
    const decision = isLoopbackOnly(entry) ? LOOPBACK : port.ctx ? decideFor(basis, port, port.ctx, entry, shape) : PENDING;
    port.decisions.set(shape, decision);
    return decision;
  };
}

function decideFor(basis: Basis, port: PortState, ctx: ExposureContext, entry: SocketEntry, binding: string): Decision {
  let reach = basis.reach.get(binding);
  if (!reach) {
    reach = basis.targets.map((target) => receives(entry, target));
    basis.reach.set(binding, reach);
  }
  const verdicts = new Map<string, Verdict>();
  basis.targets.forEach((target, i) => {
    if (!reach[i]) return;
    let p = port.predictions[i];
    if (!p) {
      p = predictPort(ctx, target, entry.protocol, entry.port);
      port.predictions[i] = p;
    }
    const ruleId = 'ruleId' in p.reason ? p.reason.ruleId : '';
    const groupKey = `${p.profile}|${p.reason.kind}|${ruleId}|${p.state}`;
    const group = verdicts.get(groupKey);
    if (!group) verdicts.set(groupKey, { profile: p.profile, reason: p.reason, state: p.state, interfaces: [target.interface] });
    else if (!group.interfaces.includes(target.interface)) group.interfaces.push(target.interface);
  });
  if (!verdicts.size) return UNREACHABLE;
  // A verdict is its group key (profile, reason, state) and its interfaces: nothing else is shown.
  const says = [...verdicts].map(([key, v]) => `${key}@${v.interfaces.join(',')}`).join(';');
  let decision = basis.said.get(says);
  if (!decision) {
    decision = { kind: 'firewall', verdicts: [...verdicts.values()] };
    basis.said.set(says, decision);
  }
  return decision;
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
  /** Rows by the socket object they were last derived from: a live change keeps most objects, and finding them needs no key. */
  private byEntry = new Map<SocketEntry, SocketRow>();

  constructor(private readonly apps: Record<string, AppDescription>) {}

  derive(sockets: readonly SocketEntry[]): SocketRow[] {
    const next = new Map<string, SocketRow>();
    const byEntry = new Map<SocketEntry, SocketRow>();
    const rows: SocketRow[] = [];
    for (const entry of sockets) {
      const same = this.byEntry.get(entry);
      const key = same ? same.key : socketKey(entry);
      if (next.has(key)) continue;
      let row = same;
      if (!row) {
        const old = this.rows.get(key);
        row = old && sameShown(old.entry, entry) ? old : makeRow(key, entry, this.apps);
      }
      next.set(key, row);
      byEntry.set(entry, row);
      rows.push(row);
    }
    this.rows = next;
    this.byEntry = byEntry;
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
