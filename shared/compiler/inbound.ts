// Inbound chains of one profile. Order, top to bottom:
//   firewall off → accept │ anti-spoofing (spoofing.ts) │ the essentials (ICMPv6, DHCP replies)
//   │ sources caught scanning → drop │ shields up → drop │ ping
//   │ knocks (each advances its source, all dropped) │ blocked apps │ block rules
//   │ brute-force limits, then allow rules (socket lookup unless "always open"; knocked sources
//   only when knocking is on) │ the plain allow rules' maps │ rate-limited apps │ allowed apps │ default → deny_<p>
// deny_<p> logs and goes to final_<p>; final_<p> feeds scan detection and gives the verdict:
// drop in stealth, otherwise TCP reset / port unreachable / protocol unreachable.
import type { AppRule, ProfileName, ProfileSettings, RateLimit } from '../policy/schema';
import type { IpFamily } from '../net/address';
import { accept, anonymousSet, counter, drop, goTo, jump, match, meta, payload, rejectWith, type NftCommand, type NftStatement } from '../nft/json';
import { ESSENTIALS_CHAIN, appPortSets, profileChains, ruleComment } from './layout';
import { checksSpoofing } from './spoofing';
import { FAMILIES, chainCmd, entrySelectors, l4protoIs, listenerPresent, logDrop, protoPortIn, rule, type RuleEntry } from './matches';
import { portMapRules, type ProfilePortRules } from './port-maps';
import { addSource, familyIs, knockDrops, knockSets, knockStatements, limitSets, newConnection, overRate, scanCatch, scanSets, sourceIn, type LimitOwner } from './dynamic';

export interface InboundRules {
  /** Port rules in force for the profile. */
  rules: RuleEntry[];
  /** The same, sorted into map elements and rules of their own (port-maps.ts). */
  split: ProfilePortRules;
  /** Allowed apps with limits on this profile. */
  limitedApps: AppRule[];
}

/** The ports a rate-limited app listens on, per profile (each such app has its own limits). */
export const appLimitSet = (p: ProfileName, appId: string) => `app_ports_${p}_${appId}`;

/**
 * A limit guarding `selector`: a new connection that goes over a rate puts its source among the
 * blocked (adding does not extend a block already running), then every packet of a blocked
 * source — that connection first — is logged and refused for the block time.
 */
function limitRules(c: string, p: ProfileName, owner: LimitOwner, limit: RateLimit, selector: NftStatement[], family: IpFamily | undefined): NftCommand[] {
  const sets = limitSets(owner);
  const final = profileChains(p).final;
  const families = family ? [family] : FAMILIES;
  return families.flatMap((f) => [
    ...limit.rates.map((r, i) => rule(c, [...selector, familyIs(f), newConnection(), overRate(sets.meter(i, f), f, r.count, r.seconds), addSource(sets.blocked(f), f), counter()], ruleComment(owner.kind, `${owner.id}-over-limit`))),
    rule(c, [...selector, familyIs(f), sourceIn(sets.blocked(f), f), ...logDrop(p, 'limit', owner.id)]),
    rule(c, [...selector, familyIs(f), sourceIn(sets.blocked(f), f), counter(), goTo(final)], ruleComment(owner.kind, `${owner.id}-limited`)),
  ]);
}

export function profileInputChain(p: ProfileName, s: ProfileSettings, inbound: InboundRules): NftCommand[] {
  const names = profileChains(p);
  const sets = appPortSets(p);
  const c = names.input;
  const cmds: NftCommand[] = [chainCmd(c)];
  if (!s.enabled) return [...cmds, rule(c, [counter(), accept()], ruleComment('profile', `${p}-off`))];
  if (checksSpoofing(s)) cmds.push(rule(c, [jump(names.reversePath)]));
  cmds.push(rule(c, [jump(ESSENTIALS_CHAIN)]));
  if (s.scanDetection.enabled) {
    // A source caught scanning is dropped entirely, allowed ports included, until it is forgotten.
    for (const f of FAMILIES) cmds.push(rule(c, [sourceIn(scanSets(p).scanners(f), f), counter(), drop()], ruleComment('profile', `${p}-scan-blocked`)));
  }
  if (s.shieldsUp) return [...cmds, rule(c, logDrop(p, 'shields-up')), rule(c, [counter(), drop()], ruleComment('profile', `${p}-shields-up`))];
  if (s.answerPing) {
    cmds.push(rule(c, [match(payload('icmp', 'type'), 'echo-request'), accept()], ruleComment('profile', `${p}-ping`)));
    cmds.push(rule(c, [match(payload('icmpv6', 'type'), 'echo-request'), accept()], ruleComment('profile', `${p}-ping6`)));
  }
  const allows = inbound.rules.filter(({ rule: r }) => r.action === 'allow' && r.direction === 'in');
  const blocks = inbound.rules.filter(({ rule: r }) => r.action === 'block' && r.direction === 'in');

  // Knocks first: a knock must never be answered, whatever else would decide its port.
  const knockings = allows.flatMap(({ rule: r }) => (r.knock ? [{ id: r.id, knock: r.knock }] : []));
  for (const { id, knock } of knockings) {
    for (const stmts of knockStatements(id, knock)) cmds.push(rule(c, stmts, ruleComment('port', `${id}-knock`)));
  }
  for (const stmts of knockDrops(knockings.map((k) => k.knock))) cmds.push(rule(c, stmts, ruleComment('profile', `${p}-knocks`)));

  // Block before allow: every block, app or port, is decided before any allow is looked at.
  cmds.push(rule(c, [protoPortIn(sets.block), ...logDrop(p, 'blocked-app')]));
  cmds.push(rule(c, [protoPortIn(sets.block), counter(), goTo(names.final)], ruleComment('app', `${p}-blocked-apps`)));
  for (const entry of blocks) {
    const r = entry.rule;
    for (const sel of entrySelectors(entry)) {
      cmds.push(rule(c, [...sel.match, ...logDrop(p, 'block', r.id)]));
      cmds.push(rule(c, [...sel.match, counter(), goTo(names.final)], ruleComment('port', r.id)));
    }
  }

  for (const entry of inbound.split.linear.filter(({ rule: r }) => r.action === 'allow' && r.direction === 'in')) {
    const r = entry.rule;
    const perFamily = r.knock !== undefined;
    for (const sel of entrySelectors(entry, { perFamily })) {
      if (r.limit) cmds.push(...limitRules(c, p, { kind: 'port', id: r.id }, r.limit, sel.match, sel.family));
      const knocked = r.knock && sel.family ? [sourceIn(knockSets(r.id, r.knock).open(sel.family), sel.family)] : [];
      const gate = r.alwaysOpen ? [] : [listenerPresent()];
      cmds.push(rule(c, [...sel.match, ...knocked, ...gate, counter(), accept()], ruleComment('port', r.id)));
    }
  }
  cmds.push(...portMapRules(p, c, listenerPresent()));

  for (const app of inbound.limitedApps) {
    if (!app.limit) continue;
    const selector = [protoPortIn(appLimitSet(p, app.id))];
    cmds.push(...limitRules(c, p, { kind: 'app', id: app.id }, app.limit, selector, undefined));
    cmds.push(rule(c, [...selector, listenerPresent(), counter(), accept()], ruleComment('app', app.id)));
  }
  cmds.push(rule(c, [protoPortIn(sets.allow), listenerPresent(), counter(), accept()], ruleComment('app', `${p}-allowed-apps`)));
  if (s.defaultInbound === 'allow') cmds.push(rule(c, [counter(), accept()], ruleComment('profile', `${p}-default-allow`)));
  else cmds.push(rule(c, [counter(), goTo(names.deny)], ruleComment('profile', `${p}-default-block`)));
  return cmds;
}

/** What no rule allowed: logged (rate-limited), then the final verdict. */
export function profileDenyChain(p: ProfileName): NftCommand[] {
  const c = profileChains(p).deny;
  return [chainCmd(c), rule(c, logDrop(p, 'default')), rule(c, [goTo(profileChains(p).final)], ruleComment('profile', `${p}-denied`))];
}

export function profileFinalChain(p: ProfileName, s: ProfileSettings): NftCommand[] {
  const c = profileChains(p).final;
  const cmds: NftCommand[] = [chainCmd(c)];
  // (With the firewall off nothing reaches this chain, and the scan sets do not exist: sourceSets.)
  if (s.enabled && s.scanDetection.enabled) {
    // Every new connection that ends up here touched a port that is closed to its source.
    for (const f of FAMILIES) {
      const caught: NftStatement[] = [l4protoIs(['tcp', 'udp']), familyIs(f), newConnection(), ...scanCatch(p, s.scanDetection, f)];
      cmds.push(rule(c, [...caught, counter(), ...logDrop(p, 'scan')], ruleComment('profile', `${p}-scan-detected`)));
    }
  }
  if (s.stealth) return [...cmds, rule(c, [drop()], ruleComment('profile', `${p}-stealth`))];
  return [
    ...cmds,
    rule(c, [l4protoIs(['tcp']), rejectWith('tcp reset')]),
    rule(c, [l4protoIs(['udp']), rejectWith('icmpx', 'port-unreachable')]),
    // An unanswered ping is a silent one, stealth or not.
    rule(c, [match(meta('l4proto'), anonymousSet(['icmp', 'ipv6-icmp'])), drop()]),
    rule(c, [match(meta('nfproto'), 'ipv4'), rejectWith('icmp', 'prot-unreachable')]),
    // ICMPv6 has no "protocol unreachable" a firewall may send; ip6tables' usual choice.
    rule(c, [rejectWith('icmpv6', 'admin-prohibited')]),
  ];
}

