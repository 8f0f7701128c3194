// Plain-text output for people; --json output is the contract's JSON as it is.
import type { MethodResult, Status } from '../../shared/dbus/contract';
import type { AppRule, Knocking, Policy, PortRule, ProfileName, ProfileSettings, RateLimit } from '../../shared/policy/schema';
import type { DropEntry, HitCounts } from '../../shared/runtime/droplog';
import { formatAppIdentity } from '../../shared/policy/identity-text';
import { formatDuration, formatKnocks, formatPortSpec, formatRates } from './args';

export function table(rows: string[][]): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => { widths[i] = Math.max(widths[i] ?? 0, cell.length); });
  return rows.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('  ').trimEnd()).join('\n');
}

const onOffWord = (b: boolean) => (b ? 'on' : 'off');

export function formatStatus(s: Status): string {
  const lines = [`Palisade ${s.version} · policy ${s.policy.path} (${s.policy.source === 'file' ? 'in force' : s.policy.source}, revision ${s.revision})`];
  if (s.policy.problem) lines.push(`! ${s.policy.problem.file}: ${s.policy.problem.reason}`);
  if (s.pendingChange) lines.push(`! a change waits for confirmation until ${s.pendingChange.deadline}: palisade confirm ${s.pendingChange.id}`);
  lines.push('', table([
    ['PROFILE', 'FIREWALL', 'STEALTH', 'BLOCK ALL', 'PING', 'INBOUND', 'OUTBOUND', 'NOTIFY'],
    ...(['private', 'public'] as const).map((p) => {
      const x = s.profiles[p];
      return [p, onOffWord(x.enabled), onOffWord(x.stealth), onOffWord(x.shieldsUp), onOffWord(x.answerPing), x.defaultInbound, x.defaultOutbound, onOffWord(x.notify)];
    }),
  ]));
  lines.push('', table([
    ['PROFILE', 'ANTI-SPOOFING', 'SCAN DETECTION', 'OUTBOUND ESSENTIALS'],
    ...(['private', 'public'] as const).map((p) => {
      const x = s.profiles[p];
      return [p, onOffWord(x.antiSpoofing), formatScanDetection(x.scanDetection), formatEssentials(x)];
    }),
  ]));
  if ((['private', 'public'] as const).some((p) => s.profiles[p].defaultOutbound === 'block' && s.profiles[p].outboundEssentials.dns)) {
    lines.push(`DNS allowed to the configured resolvers: ${s.resolvers.length ? s.resolvers.join(', ') : 'none found'}.`);
  }
  lines.push('', table([
    ['INTERFACE', 'PROFILE', 'NETWORK', 'ADDRESSES'],
    ...s.interfaces.map((i) => [i.name, `${i.profile}${i.pinned ? ' (pinned)' : ''}`, i.network ? `${i.network.name}${i.network.known ? '' : ' (new)'}` : '-', i.addresses.join(', ')]),
  ]));
  lines.push('', `Networks from ${s.networkSource}; ${s.counts.apps} apps, ${s.counts.portRules} port rules, ${s.counts.listening} listening sockets, ${s.counts.prompts} open prompts.`);
  return lines.join('\n');
}

/** `20 ports in 5s → blocked 10m`, or `off`. */
export function formatScanDetection(d: ProfileSettings['scanDetection']): string {
  return d.enabled ? `${d.ports} ports in ${formatDuration(d.withinSeconds)} → blocked ${formatDuration(d.blockSeconds)}` : 'off';
}

/** The outbound essentials that are on; they only matter while outbound is blocked by default. */
function formatEssentials(x: ProfileSettings): string {
  const on = (['dns', 'dhcp', 'ntp'] as const).filter((k) => x.outboundEssentials[k]);
  const list = on.length ? on.join(',') : 'none';
  return x.defaultOutbound === 'allow' ? `${list} (not needed: outbound allowed)` : list;
}

const profilesWord = (list: readonly string[]) => (list.length ? list.join(',') : '-');

// ---- hit counts ------------------------------------------------------------------------------

/** What the kernel counted for one rule: packets it matched, and for rules with limits, what the limits stopped. */
export interface RuleHits {
  /** Packets the rule matched (accepted for an allow rule, dropped for a block rule). */
  packets: number;
  /** New connections that went over a rate, which blocked their source (rules with limits). */
  overLimit?: number;
  /** Packets dropped because their source was blocked for going over a limit. */
  blocked?: number;
}

export type PortRuleView = PortRule & { hits: RuleHits | null };
export type AppRuleView = AppRule & { hits: RuleHits | null };
/** The policy as `rules` and `apps` show it: every rule with its hit counts (null: not counted on its own, or the helper cannot say). */
export type PolicyView = Omit<Policy, 'portRules' | 'apps'> & { portRules: PortRuleView[]; apps: AppRuleView[]; sharedHits?: Record<string, number> };

function hitsOf(counts: Record<string, number> | undefined, id: string, limited: boolean): RuleHits | null {
  if (!counts) return null;
  const packets = counts[id];
  if (packets === undefined && !limited) return null;
  return { packets: packets ?? 0, ...(limited ? { overLimit: counts[`${id}-over-limit`] ?? 0, blocked: counts[`${id}-limited`] ?? 0 } : {}) };
}

/**
 * Puts the kernel's counts beside each rule. An allowed app without limits is counted with the
 * other allowed apps of its profile (one shared set), so it has no count of its own; those
 * shared counts are in `sharedHits`.
 */
export function withHits(policy: Policy, counts: HitCounts | null): PolicyView {
  const sharedHits = counts
    ? Object.fromEntries(Object.entries(counts.app).filter(([k]) => /^(private|public)-(allowed|blocked)-apps$/.test(k)))
    : undefined;
  return {
    ...policy,
    portRules: policy.portRules.map((r) => ({ ...r, hits: hitsOf(counts?.port, r.id, r.limit !== undefined) })),
    apps: policy.apps.map((a) => ({ ...a, hits: a.limit ? hitsOf(counts?.app, a.id, true) : null })),
    ...(sharedHits ? { sharedHits } : {}),
  };
}

export function formatHits(h: RuleHits | null): string {
  if (!h) return '-';
  if (h.overLimit === undefined && h.blocked === undefined) return String(h.packets);
  return `${h.packets} (${h.overLimit ?? 0} over limit, ${h.blocked ?? 0} blocked)`;
}

export function formatKnocking(k: Knocking): string {
  return `knock ${formatKnocks(k.sequence)} (each within ${formatDuration(k.windowSeconds)}, then open ${formatDuration(k.openSeconds)})`;
}

export function formatLimit(l: RateLimit): string {
  return `limit ${formatRates(l.rates)} (then blocked ${formatDuration(l.blockSeconds)})`;
}

/** `in 45m`, `in 2h`, `in 3d`, or `expired`. */
export function formatTimeLeft(until: string, now: Date): string {
  const s = Math.round((Date.parse(until) - now.getTime()) / 1000);
  if (!(s > 0)) return 'expired';
  if (s < 90) return `in ${s}s`;
  const minutes = Math.round(s / 60);
  if (minutes < 60) return `in ${minutes}m`;
  const hours = Math.round(s / 3600);
  if (hours < 48) return `in ${hours}h`;
  return `in ${Math.round(s / 86400)}d`;
}

/** A time in the local time zone, to the second: `2026-05-01 13:40:05`. */
export function formatLocalTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const two = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
}

/** The options of a port rule in words: knocking, limits, "always open", expiry, comment. */
/** The parts of a rule (new or stored) its options are read from. */
export interface RuleOptions {
  enabled?: boolean | undefined;
  alwaysOpen?: boolean | undefined;
  knock?: Knocking | undefined;
  limit?: RateLimit | undefined;
  expires?: string | undefined;
  comment?: string | undefined;
}

export function ruleOptionWords(r: RuleOptions, now: Date = new Date()): string[] {
  return [
    r.enabled === false ? 'disabled' : '',
    r.knock ? formatKnocking(r.knock) : '',
    r.limit ? formatLimit(r.limit) : '',
    r.alwaysOpen ? 'always open' : '',
    r.expires ? `until ${formatLocalTime(r.expires)} (${formatTimeLeft(r.expires, now)})` : '',
    r.comment ? `"${r.comment}"` : '',
  ].filter(Boolean);
}

export function formatApps(view: PolicyView): string {
  if (!view.apps.length) return 'No app rules.';
  const lines = [table([
    ['ID', 'APP', 'PRIVATE', 'PUBLIC', 'HITS', 'LIMIT', 'IDENTITY'],
    ...view.apps.map((a) => {
      const mark = (p: 'private' | 'public') => (a.profiles.includes(p) ? a.action : '-');
      return [a.id, a.name ?? '', mark('private'), mark('public'), formatHits(a.hits), a.limit ? formatLimit(a.limit).replace(/^limit /, '') : '-', formatAppIdentity(a.identity)];
    }),
  ])];
  const shared = view.sharedHits;
  if (shared && view.apps.some((a) => !a.limit)) {
    const per = (kind: 'allowed' | 'blocked') => (['private', 'public'] as const).map((p) => `${p} ${shared[`${p}-${kind}-apps`] ?? 0}`).join(', ');
    lines.push('', `Apps without limits are counted together: accepted for allowed apps ${per('allowed')}; dropped for blocked apps ${per('blocked')}.`);
  }
  return lines.join('\n');
}

export function formatRules(view: PolicyView, now: Date = new Date()): string {
  if (!view.portRules.length) return 'No port rules.';
  return table([
    ['ID', 'DIR', 'ACTION', 'PORTS', 'PROFILES', 'REMOTE', 'HITS', 'OPTIONS'],
    ...view.portRules.map((r) => [
      r.id, r.direction, r.action, formatPortSpec(r.ports, r.protocol), profilesWord(r.profiles),
      r.remote.length ? `${r.direction === 'out' ? 'to' : 'from'} ${r.remote.join(',')}` : 'any',
      formatHits(r.hits), ruleOptionWords(r, now).join(', '),
    ]),
  ]);
}

// ---- the drop log ------------------------------------------------------------------------------

const DECIDERS: Record<DropEntry['kind'], string> = {
  default: 'default (nothing allowed it)',
  block: 'block rule',
  'blocked-app': 'blocked app',
  limit: 'limit',
  scan: 'scan detection',
  'shields-up': 'block all incoming',
  spoof: 'anti-spoofing',
  'out-default': 'default outbound',
  'out-block': 'outbound block rule',
};

/** What decided, in words: `ssh (limit)`, `rule-1a2b (block rule)`, `default (nothing allowed it)`. */
export function formatDecider(e: Pick<DropEntry, 'kind' | 'ruleId'>): string {
  return e.ruleId ? `${e.ruleId} (${DECIDERS[e.kind]})` : DECIDERS[e.kind];
}

const hostPort = (address: string, port: number | undefined) => {
  if (port === undefined) return address;
  return `${address.includes(':') ? `[${address}]` : address}:${port}`;
};

export const DROP_HEADER = ['TIME', 'INTERFACE', 'PROFILE', 'DIR', 'PROTO', 'SOURCE → DESTINATION', 'DECIDED BY'];

export function dropRow(e: DropEntry): string[] {
  return [formatLocalTime(e.time), e.interface, e.profile, e.direction, e.protocol, `${e.source} → ${hostPort(e.destination, e.destinationPort)}`, formatDecider(e)];
}

export function formatDropLog(entries: readonly DropEntry[]): string {
  if (!entries.length) return 'No blocked attempts logged.';
  return table([DROP_HEADER, ...entries.map(dropRow)]);
}

/** Column widths for --follow, where rows come one at a time and cannot be measured together. */
const FOLLOW_WIDTHS = [19, 9, 7, 3, 5, 40];

/** One row of the followed log, in fixed columns (a longer cell pushes the rest along). */
export function formatDropLine(cells: readonly string[]): string {
  return cells.map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(FOLLOW_WIDTHS[i] ?? 0))).join('  ').trimEnd();
}

export function profileList(list: readonly ProfileName[]): string {
  return list.join(' and ');
}

export function formatNetworks(n: MethodResult<'ListNetworks'>): string {
  const undecided = new Set(n.known.filter((k) => k.undecided).map((k) => k.key));
  const rows = [['ID', 'NAME', 'PROFILE', 'STATE']];
  for (const a of n.active) rows.push([a.key, a.name, `${a.profile}${undecided.has(a.key) ? ' (not chosen yet)' : ''}`, `connected on ${a.interface}${a.primary ? ' (primary)' : ''}`]);
  for (const k of n.known.filter((x) => !x.active)) rows.push([k.key, k.name, `${k.profile}${k.undecided ? ' (not chosen yet)' : ''}`, k.lastSeen ? `last seen ${k.lastSeen}` : 'known']);
  const table_ = rows.length > 1 ? table(rows) : 'No networks.';
  return undecided.size ? `${table_}\n\nChoose a profile for new networks: palisade network set ID private|public` : table_;
}

export function formatSockets(list: MethodResult<'ListSockets'>): string {
  if (!list.length) return 'No sockets.';
  return table([
    ['PROTO', 'STATE', 'LOCAL', 'REMOTE', 'PID', 'USER', 'APP'],
    ...list.map((s) => {
      const local = `${s.address.includes(':') ? `[${s.address}]` : s.address}:${s.port}`;
      const remote = s.state === 'LISTEN' || s.state === 'UNCONN' ? '*' : `${s.remoteAddress.includes(':') ? `[${s.remoteAddress}]` : s.remoteAddress}:${s.remotePort}`;
      return [`${s.protocol}${s.family === 6 ? '6' : ''}`, s.state, local, remote, s.process ? String(s.process.pid) : '-', s.process?.user ?? String(s.uid), s.app ? formatAppIdentity(s.app) : '-'];
    }),
  ]);
}

export function formatExposure(list: MethodResult<'GetExposure'>): string {
  return list.map((e) => {
    const head = `${e.interface} (${e.profile}): ping ${e.ping ? 'answered' : 'not answered'}; other ports look ${e.unlistedPort.tcp} (TCP), ${e.unlistedPort.udp} (UDP)`;
    const rows = e.ports.map((p) => [p.address, `${p.port}/${p.protocol}`, p.state, [
      `${p.reason.kind}${p.reason.ruleId ? ` ${p.reason.ruleId}` : ''}`,
      p.listening ? 'listening' : '',
      p.afterKnock ? `${p.afterKnock} after knocking` : '',
      p.rateLimited ? `rate limited ${formatRates(p.rateLimited.rates)}` : '',
    ].filter(Boolean).join(', ')]);
    return rows.length ? `${head}\n${table([['ADDRESS', 'PORT', 'A SCANNER SEES', 'WHY'], ...rows])}` : head;
  }).join('\n\n');
}

export function formatPrompts(list: MethodResult<'ListPrompts'>): string {
  if (!list.length) return 'No apps are waiting for a decision.';
  return table([
    ['ID', 'APP', 'PORTS', 'PROCESS'],
    ...list.map((p) => [p.id, `${p.name} (${formatAppIdentity(p.app)})`, [...new Set(p.ports.map((x) => `${x.port}/${x.protocol}`))].join(','), p.process ? `${p.process.pid} ${p.process.user ?? ''}`.trim() : '-']),
  ]);
}
