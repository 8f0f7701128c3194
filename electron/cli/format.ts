// Plain-text output for people; --json output is the contract's JSON as it is.
import type { MethodResult, Status } from '../../shared/dbus/contract';
import type { Policy } from '../../shared/policy/schema';
import { formatAppIdentity } from '../../shared/policy/identity-text';
import { formatPortSpec } from './args';

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
    ['INTERFACE', 'PROFILE', 'NETWORK', 'ADDRESSES'],
    ...s.interfaces.map((i) => [i.name, `${i.profile}${i.pinned ? ' (pinned)' : ''}`, i.network ? `${i.network.name}${i.network.known ? '' : ' (new)'}` : '-', i.addresses.join(', ')]),
  ]));
  lines.push('', `Networks from ${s.networkSource}; ${s.counts.apps} apps, ${s.counts.portRules} port rules, ${s.counts.listening} listening sockets, ${s.counts.prompts} open prompts.`);
  return lines.join('\n');
}

const profilesWord = (list: readonly string[]) => (list.length ? list.join(',') : '-');

export function formatApps(policy: Policy): string {
  if (!policy.apps.length) return 'No app rules.';
  return table([
    ['ID', 'APP', 'PRIVATE', 'PUBLIC', 'IDENTITY'],
    ...policy.apps.map((a) => {
      const mark = (p: 'private' | 'public') => (a.profiles.includes(p) ? a.action : '-');
      return [a.id, a.name ?? '', mark('private'), mark('public'), formatAppIdentity(a.identity)];
    }),
  ]);
}

export function formatRules(policy: Policy): string {
  if (!policy.portRules.length) return 'No port rules.';
  return table([
    ['ID', 'ACTION', 'PORTS', 'PROFILES', 'FROM', 'OPTIONS'],
    ...policy.portRules.map((r) => [
      r.id, r.action, formatPortSpec(r.ports, r.protocol), profilesWord(r.profiles), r.remote.length ? r.remote.join(',') : 'any',
      [r.enabled ? '' : 'disabled', r.alwaysOpen ? 'always open' : '', r.expires ? `until ${r.expires}` : '', r.comment ? `"${r.comment}"` : ''].filter(Boolean).join(', '),
    ]),
  ]);
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
    const rows = e.ports.map((p) => [p.address, `${p.port}/${p.protocol}`, p.state, `${p.reason.kind}${p.reason.ruleId ? ` ${p.reason.ruleId}` : ''}${p.listening ? ', listening' : ''}`]);
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
