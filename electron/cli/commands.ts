// The palisade commands. Reads print text (or the contract's JSON with --json); changes are
// policy edits sent to the helper in one call.
import { readFile, writeFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { FirewallError, type FirewallClient } from '../client/firewall-client';
import type { MethodResult } from '../../shared/dbus/contract';
import type { NewPortRuleSchema, PolicyEditInput as PolicyEdit } from '../../shared/policy/edits';
import { applyEdits } from '../../shared/policy/edits';
import { parseAppIdentity, formatAppIdentity } from '../../shared/policy/identity-text';
import { appKey } from '../../shared/policy/identity';
import { validatePolicy } from '../../shared/policy/validate';
import { PRESETS, type PresetName } from '../../shared/policy/presets';
import { PROFILE_NAMES, type AppRule, type Knocking, type Policy, type ProfileName, type ProfileSettings, type RateLimit } from '../../shared/policy/schema';
import type { DropEntry, HitCounts } from '../../shared/runtime/droplog';
import { parseSshConnection, wouldCutOff } from '../../shared/exposure/cutoff';
import type { z } from 'zod';
import {
  BOUNDS, UsageError, formatPortSpec, onOff, parseBoundedDuration, parseCount, parseDuration, parseKnocks, parsePortSpec, parseProfiles, parseRates,
} from './args';
import {
  DROP_HEADER, dropRow, formatApps, formatDropLine, formatDropLog, formatExposure, formatNetworks, formatPrompts, formatRules, formatScanDetection, formatSockets,
  formatStatus, profileList, ruleOptionWords, withHits, type PolicyView,
} from './format';

export interface Flags {
  json: boolean;
  profile?: string;
  from: string[];
  alwaysOpen: boolean;
  for?: string;
  comment?: string;
  listening: boolean;
  interface?: string;
  confirmWithin?: string;
  yes: boolean;
  interactive: boolean;
  /** Outbound port rule: ports and --to networks are remote. */
  out?: boolean;
  to?: string[];
  knock?: string;
  knockWindow?: string;
  knockOpen?: string;
  /** Rates (`3/10s`, repeatable, comma-separated) for rules and apps; a number of entries for `log`. */
  limit?: string[];
  limitBlock?: string;
  preset?: string;
  follow?: boolean;
  /** scan-detection: closed ports, time window, block time. */
  ports?: string;
  within?: string;
  block?: string;
}

export interface CommandContext {
  /** Connects on first use, so a usage error is reported without touching the bus. */
  client: Pick<FirewallClient, 'call' | 'on' | 'watchHelper'>;
  args: string[];
  flags: Flags;
  print: (text: string) => void;
  env: NodeJS.ProcessEnv;
  isTTY: boolean;
  /** Resolves when the user stops a long-running command (SIGINT, SIGTERM, or the output closing). */
  untilStopped: () => Promise<void>;
}

type Command = (ctx: CommandContext) => Promise<void>;

const json = (ctx: CommandContext, value: unknown) => ctx.print(JSON.stringify(value, null, 2));

/** A read command: no arguments, text or --json. */
const reader = <T>(name: string, fetch: (ctx: CommandContext) => Promise<T>, text: (v: T) => string) => async (ctx: CommandContext) => {
  expectArgs(ctx, 0, 0, name);
  await read(ctx, fetch(ctx), text);
};

async function read<T>(ctx: CommandContext, value: Promise<T>, text: (v: T) => string): Promise<void> {
  const v = await value;
  ctx.print(ctx.flags.json ? JSON.stringify(v, null, 2) : text(v));
}

/** The profiles a command changes: --profile, or else the profiles in force on the interfaces now. */
async function targetProfiles(ctx: CommandContext, fallback?: ProfileName[]): Promise<ProfileName[]> {
  if (ctx.flags.profile !== undefined) return parseProfiles(ctx.flags.profile);
  if (fallback) return fallback;
  const status = await ctx.client.call('GetStatus', {});
  const inForce = new Set(status.interfaces.map((i) => i.profile));
  return inForce.size ? PROFILE_NAMES.filter((p) => inForce.has(p)) : ['public'];
}

/** Sends edits; a change that could cut off the caller's own SSH session gets a confirmation window. */
async function change(ctx: CommandContext, edits: PolicyEdit[], done: string): Promise<void> {
  let confirmWithin = ctx.flags.confirmWithin !== undefined ? parseDuration(ctx.flags.confirmWithin) : undefined;
  if (confirmWithin === undefined && !ctx.flags.yes && (await cutsOffCaller(ctx, edits))) confirmWithin = 30;
  const result = await ctx.client.call('ChangePolicy', { edits, ...(confirmWithin !== undefined ? { confirmWithin } : {}) }, { interactive: ctx.flags.interactive });
  if (ctx.flags.json) return json(ctx, result);
  ctx.print(done);
  if (result.pending) await confirmOrExplain(ctx, result.pending);
}

async function cutsOffCaller(ctx: CommandContext, edits: PolicyEdit[]): Promise<boolean> {
  const connection = parseSshConnection(ctx.env.SSH_CONNECTION);
  if (!connection) return false;
  const [before, status, networks, listening] = await Promise.all([
    ctx.client.call('GetPolicy', {}), ctx.client.call('GetStatus', {}), ctx.client.call('ListNetworks', {}), ctx.client.call('ListSockets', { listening: true }),
  ]);
  let after;
  try {
    after = applyEdits(before, edits, { activeNetworks: networks.active, newId: (p) => `${p}-preview`, now: new Date().toISOString() });
  } catch {
    return false; // The helper will refuse it and say why.
  }
  return wouldCutOff({ before, after, interfaces: status.interfaces, activeNetworks: networks.active, listening, connection });
}

async function confirmOrExplain(ctx: CommandContext, pending: { id: string; deadline: string }): Promise<void> {
  const seconds = Math.max(0, Math.round((Date.parse(pending.deadline) - Date.now()) / 1000));
  if (!ctx.isTTY) {
    ctx.print(`This change could cut off your connection. It rolls back in ${seconds} s unless you run: palisade confirm ${pending.id}`);
    return;
  }
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  const answer = await new Promise<string>((resolve) => {
    const timer = setTimeout(() => resolve(''), seconds * 1000);
    rl.question(`This change could cut off your connection. Keep it? [y/N] (rolls back in ${seconds} s) `, (a) => { clearTimeout(timer); resolve(a); });
  });
  rl.close();
  if (/^y(es)?$/i.test(answer.trim())) {
    await ctx.client.call('ConfirmChange', { id: pending.id }, { interactive: ctx.flags.interactive });
    ctx.print('Kept.');
  } else {
    ctx.print('Not confirmed: the change rolls back.');
  }
}

function expectArgs(ctx: CommandContext, min: number, max: number, usage: string): string[] {
  if (ctx.args.length < min || ctx.args.length > max) throw new UsageError(`usage: palisade ${usage}`);
  return ctx.args;
}

type BooleanSetting = { [K in keyof ProfileSettings]: ProfileSettings[K] extends boolean ? K : never }[keyof ProfileSettings];

const profileSwitch = (key: BooleanSetting, on: string, off: string, label: string, command = label.split(' ')[0]?.toLowerCase() ?? ''): Command => async (ctx) => {
  const [word] = expectArgs(ctx, 1, 1, `${command} ${on}|${off} [--profile P]`);
  const value = onOff(word, on, off);
  const profiles = await targetProfiles(ctx);
  await change(ctx, profiles.map((profile) => ({ op: 'setProfile', profile, settings: { [key]: value } })), `${label} ${word} for ${profileList(profiles)}.`);
};

async function outboundCommand(ctx: CommandContext): Promise<void> {
  const [word] = expectArgs(ctx, 1, 1, 'outbound allow|block [--profile P]');
  if (word !== 'allow' && word !== 'block') throw new UsageError(`expected "allow" or "block", not "${word}"`);
  const profiles = await targetProfiles(ctx);
  const note = word === 'block' ? ' Replies to incoming connections still flow; see also: palisade essentials.' : '';
  await change(ctx, profiles.map((profile) => ({ op: 'setProfile', profile, settings: { defaultOutbound: word } })),
    `Outbound connections no rule decides are now ${word === 'allow' ? 'allowed' : 'blocked'} on ${profileList(profiles)}.${note}`);
}

const ESSENTIALS = ['dns', 'dhcp', 'ntp'] as const;
type Essential = (typeof ESSENTIALS)[number];

/** `dns`, `dhcp,ntp`, `all`. */
export function parseEssentials(text: string): Essential[] {
  if (text.trim().toLowerCase() === 'all') return [...ESSENTIALS];
  const names = text.split(',').map((x) => x.trim().toLowerCase());
  for (const n of names) if (!(ESSENTIALS as readonly string[]).includes(n)) throw new UsageError(`unknown essential "${n}": use dns, dhcp, ntp (several separated by commas) or all`);
  return [...new Set(names)] as Essential[];
}

async function essentialsCommand(ctx: CommandContext): Promise<void> {
  const [names, word] = expectArgs(ctx, 2, 2, 'essentials dns|dhcp|ntp|all on|off [--profile P]');
  const which = parseEssentials(names as string);
  const value = onOff(word, 'on', 'off');
  const profiles = await targetProfiles(ctx);
  const policy = await ctx.client.call('GetPolicy', {});
  // A nested setting is replaced whole: start from what each profile has now.
  const edits: PolicyEdit[] = profiles.map((profile) => ({
    op: 'setProfile', profile,
    settings: { outboundEssentials: { ...policy.profiles[profile].outboundEssentials, ...Object.fromEntries(which.map((k) => [k, value])) } },
  }));
  const allowing = profiles.filter((p) => policy.profiles[p].defaultOutbound === 'allow');
  const note = allowing.length ? ` (They matter while outbound is blocked by default; it is allowed on ${profileList(allowing)}.)` : '';
  const what = `Outbound ${which.join(', ').toUpperCase()}`;
  await change(ctx, edits, value
    ? `${what} ${which.length > 1 ? 'are' : 'is'} allowed on ${profileList(profiles)} even while outbound is blocked.${note}`
    : `${what} ${which.length > 1 ? 'are' : 'is'} no longer an exception on ${profileList(profiles)}: while outbound is blocked, only a rule allows ${which.length > 1 ? 'them' : 'it'}.${note}`);
}

/** The scan-detection options, checked before anything is sent. */
export function scanDetectionOptions(flags: Pick<Flags, 'ports' | 'within' | 'block'>): { ports?: number; withinSeconds?: number; blockSeconds?: number } {
  return {
    ...(flags.ports !== undefined ? { ports: parseCount(flags.ports, '--ports', BOUNDS.scanPorts.min, BOUNDS.scanPorts.max) } : {}),
    ...(flags.within !== undefined ? { withinSeconds: parseBoundedDuration(flags.within, '--within', BOUNDS.scanWithin) } : {}),
    ...(flags.block !== undefined ? { blockSeconds: parseBoundedDuration(flags.block, '--block', BOUNDS.block) } : {}),
  };
}

async function scanDetectionCommand(ctx: CommandContext): Promise<void> {
  const [word] = expectArgs(ctx, 1, 1, 'scan-detection on|off [--ports N] [--within 5s] [--block 10m] [--profile P]');
  const enabled = onOff(word, 'on', 'off');
  const options = scanDetectionOptions(ctx.flags);
  const profiles = await targetProfiles(ctx);
  const policy = await ctx.client.call('GetPolicy', {});
  const settings = Object.fromEntries(profiles.map((p) => [p, { ...policy.profiles[p].scanDetection, ...options, enabled }])) as Record<ProfileName, ProfileSettings['scanDetection']>;
  const edits: PolicyEdit[] = profiles.map((profile) => ({ op: 'setProfile', profile, settings: { scanDetection: settings[profile] } }));
  const described = [...new Set(profiles.map((p) => formatScanDetection(settings[p])))];
  await change(ctx, edits, enabled
    ? `Scan detection on for ${profileList(profiles)}: a source that touches ${described.join(' / ')} (allowed ports included).`
    : `Scan detection off for ${profileList(profiles)}.`);
}

/** `--limit RATES [--limit-block D]` as a limit; `--limit off` is null (remove); no --limit is undefined (keep). */
export function limitOption(flags: Pick<Flags, 'limit' | 'limitBlock'>, allowOff: boolean): RateLimit | null | undefined {
  const texts = flags.limit ?? [];
  if (!texts.length) {
    if (flags.limitBlock !== undefined) throw new UsageError('--limit-block goes with --limit (how long a source over the limit stays blocked)');
    return undefined;
  }
  if (allowOff && texts.length === 1 && texts[0]?.trim().toLowerCase() === 'off') {
    if (flags.limitBlock !== undefined) throw new UsageError('--limit-block makes no sense with --limit off');
    return null;
  }
  const rates = parseRates(texts);
  // Blocked for as long as the longest period, unless said otherwise: the source article's 4/30m → 30m.
  const blockSeconds = flags.limitBlock !== undefined ? parseBoundedDuration(flags.limitBlock, '--limit-block', BOUNDS.block) : Math.max(...rates.map((r) => r.seconds));
  return { rates, blockSeconds };
}

const APP_USAGE = 'app allow|block|remove IDENTITY [--profile private,public] [--limit 3/10s --limit-block 30m] | app limit IDENTITY RATES|off [--limit-block 30m]';

async function findApp(ctx: CommandContext, text: string): Promise<AppRule> {
  const policy = await ctx.client.call('GetPolicy', {});
  const byId = policy.apps.find((a) => a.id === text);
  const app = byId ?? policy.apps.find((a) => appKey(a.identity) === appKey(parseAppIdentity(text)));
  if (!app) throw new UsageError(`no app rule for "${text}" (see: palisade apps)`);
  return app;
}

async function appLimitCommand(ctx: CommandContext): Promise<void> {
  const [, ...rest] = expectArgs(ctx, 3, 4, APP_USAGE);
  const rates = rest.pop() as string;
  const text = rest.join(' ');
  if (ctx.flags.limit?.length) throw new UsageError('"app limit" takes the rates as an argument: palisade app limit IDENTITY 3/10s,4/30m');
  const limit = limitOption({ limit: [rates], ...(ctx.flags.limitBlock !== undefined ? { limitBlock: ctx.flags.limitBlock } : {}) }, true) ?? null;
  const app = await findApp(ctx, text);
  const name = app.name ?? formatAppIdentity(app.identity);
  if (app.action !== 'allow') throw new UsageError(`${name} is blocked; limits apply to allowed apps (palisade app allow ${formatAppIdentity(app.identity)} first)`);
  await change(ctx, [{ op: 'setApp', identity: app.identity, action: 'allow', profiles: app.profiles, limit }],
    limit ? `${name}: ${ruleOptionWords({ limit }).join('')}.` : `${name}: no limits.`);
}

async function appCommand(ctx: CommandContext): Promise<void> {
  if (ctx.args[0] === 'limit') return appLimitCommand(ctx);
  const [verb, ...rest] = expectArgs(ctx, 2, 3, APP_USAGE);
  const text = rest.join(' ');
  if (verb === 'remove') {
    const app = await findApp(ctx, text);
    return change(ctx, [{ op: 'removeApp', app: app.id }], `Removed ${app.name ?? formatAppIdentity(app.identity)}.`);
  }
  if (verb !== 'allow' && verb !== 'block') throw new UsageError(`usage: palisade ${APP_USAGE}`);
  if (verb === 'block' && (ctx.flags.limit?.length || ctx.flags.limitBlock !== undefined)) throw new UsageError('--limit only goes with "app allow": a blocked app gets no connections to limit');
  const limit = limitOption(ctx.flags, true);
  const identity = parseAppIdentity(text);
  // Blocking is everywhere unless said otherwise (the Windows "cancel"); allowing follows the networks in force.
  const profiles = await targetProfiles(ctx, verb === 'block' ? [...PROFILE_NAMES] : undefined);
  const limitWords = limit === null ? ', without limits' : limit ? `, ${ruleOptionWords({ limit }).join('')}` : '';
  await change(ctx, [{ op: 'setApp', identity, action: verb, profiles, ...(limit !== undefined ? { limit } : {}) }],
    `${verb === 'allow' ? 'Allowed' : 'Blocked'} ${formatAppIdentity(identity)} on ${profileList(profiles)}${limitWords}.`);
}

type NewPortRule = z.input<typeof NewPortRuleSchema>;

const PORT_USAGE = 'port allow|block PORT[-PORT][/tcp|/udp] [--out] [--profile P] [--from CIDR]... [--to CIDR]... [--always-open] [--knock K,K,…] [--limit RATES] [--for 1h] | port allow --preset ssh | port remove PORT|ID [--out]';

/** What the options of `port allow|block` make of a rule, checked for conflicts before anything is sent. */
export function portRuleOptions(flags: Flags, verb: 'allow' | 'block'): Pick<NewPortRule, 'direction' | 'remote' | 'alwaysOpen' | 'knock' | 'limit'> {
  const out = flags.out === true;
  const to = flags.to ?? [];
  if (out && flags.from.length) throw new UsageError('--from makes no sense with --out: an outbound rule is about where connections go; name those networks with --to');
  if (!out && to.length) throw new UsageError('--to goes with --out (outbound rules); for connections coming in, use --from');
  const inboundOnly: [string, boolean][] = [
    ['--always-open', flags.alwaysOpen], ['--knock', flags.knock !== undefined], ['--knock-window', flags.knockWindow !== undefined],
    ['--knock-open', flags.knockOpen !== undefined], ['--limit', (flags.limit ?? []).length > 0], ['--limit-block', flags.limitBlock !== undefined],
  ];
  for (const [option, given] of inboundOnly) {
    if (!given) continue;
    if (verb === 'block') throw new UsageError(`${option} only goes with "port allow"`);
    if (out) throw new UsageError(`${option} only applies to connections coming in; leave out --out`);
  }
  if (flags.knock === undefined) {
    if (flags.knockWindow !== undefined) throw new UsageError('--knock-window goes with --knock (the time allowed between knocks)');
    if (flags.knockOpen !== undefined) throw new UsageError('--knock-open goes with --knock (how long the port stays open after the last knock)');
  }
  const knock: Knocking | undefined = flags.knock === undefined ? undefined : {
    sequence: parseKnocks(flags.knock),
    windowSeconds: flags.knockWindow !== undefined ? parseBoundedDuration(flags.knockWindow, '--knock-window', BOUNDS.knockWindow) : 10,
    openSeconds: flags.knockOpen !== undefined ? parseBoundedDuration(flags.knockOpen, '--knock-open', BOUNDS.knockOpen) : 30,
  };
  const limit = limitOption(flags, false) ?? undefined;
  return {
    direction: out ? 'out' : 'in',
    remote: out ? to : flags.from,
    alwaysOpen: flags.alwaysOpen,
    ...(knock ? { knock } : {}),
    ...(limit ? { limit } : {}),
  };
}

/** `SSH with brute-force protection: 22/tcp, limit 3/10s,4/30m (then blocked 30m)`. */
export function presetSummary(name: PresetName): string {
  const preset = PRESETS[name];
  const rule = preset.rule(['public']);
  return `${preset.title}: ${[formatPortSpec(rule.ports, rule.protocol), ...ruleOptionWords({ ...rule, comment: undefined })].join(', ')}`;
}

/** `--preset NAME`: the ready-made rule, checked before anything is sent. */
export function presetRule(flags: Flags, args: readonly string[], profiles: ProfileName[]): NewPortRule {
  const name = flags.preset?.trim().toLowerCase() ?? '';
  const known = Object.entries(PRESETS).map(([n, p]) => `${n} (${p.title})`).join(', ');
  if (!Object.hasOwn(PRESETS, name)) throw new UsageError(`unknown preset "${flags.preset}": the presets are ${known}`);
  const preset = PRESETS[name as PresetName];
  if (args[0] !== 'allow') throw new UsageError('--preset only goes with "port allow"');
  if (args.length > 1) throw new UsageError(`--preset ${name} names its port itself; leave out "${args[1]}"`);
  const own: [string, boolean][] = [
    ['--out', flags.out === true], ['--to', (flags.to ?? []).length > 0], ['--always-open', flags.alwaysOpen], ['--knock', flags.knock !== undefined],
    ['--knock-window', flags.knockWindow !== undefined], ['--knock-open', flags.knockOpen !== undefined], ['--limit', (flags.limit ?? []).length > 0], ['--limit-block', flags.limitBlock !== undefined],
  ];
  for (const [option, given] of own) if (given) throw new UsageError(`--preset ${name} is "${preset.title}" as it stands; it cannot be combined with ${option}`);
  const rule = preset.rule(profiles);
  return { ...rule, remote: flags.from, ...(flags.comment ? { comment: flags.comment } : {}) };
}

function expiresFrom(flags: Flags): string | undefined {
  return flags.for ? new Date(Date.now() + parseDuration(flags.for) * 1000).toISOString() : undefined;
}

async function portCommand(ctx: CommandContext): Promise<void> {
  const [verb, spec] = ctx.args;
  if (verb === 'remove') {
    expectArgs(ctx, 2, 2, PORT_USAGE);
    const policy = await ctx.client.call('GetPolicy', {});
    const byId = policy.portRules.filter((r) => r.id === spec);
    let matches = byId;
    if (!matches.length) {
      const { ports, protocol } = parsePortSpec(spec as string);
      const profiles = ctx.flags.profile !== undefined ? parseProfiles(ctx.flags.profile) : undefined;
      // By port, the rules in one direction: inbound unless --out.
      const direction = ctx.flags.out ? 'out' : 'in';
      matches = policy.portRules.filter((r) => r.ports.from === ports.from && r.ports.to === ports.to && r.direction === direction
        && (spec?.includes('/') ? r.protocol === protocol : true) && (!profiles || profiles.every((p) => r.profiles.includes(p))));
    }
    if (!matches.length) throw new UsageError(`no ${ctx.flags.out ? 'outbound ' : ''}port rule matches "${spec}" (see: palisade rules)`);
    return change(ctx, matches.map((r) => ({ op: 'removePortRule', id: r.id })), `Removed ${matches.map((r) => `${r.id} (${r.direction === 'out' ? 'outbound ' : ''}${formatPortSpec(r.ports, r.protocol)})`).join(', ')}.`);
  }
  if (verb !== 'allow' && verb !== 'block') throw new UsageError(`usage: palisade ${PORT_USAGE}`);
  if (ctx.flags.preset !== undefined) {
    presetRule(ctx.flags, ctx.args, ['public']); // the usage checks, before the bus
    const expires = expiresFrom(ctx.flags);
    const profiles = await targetProfiles(ctx);
    const rule = { ...presetRule(ctx.flags, ctx.args, profiles), ...(expires ? { expires } : {}) };
    const title = PRESETS[ctx.flags.preset.trim().toLowerCase() as PresetName].title;
    const what = `${formatPortSpec(rule.ports, rule.protocol)} on ${profileList(profiles)}${rule.remote?.length ? ` from ${rule.remote.join(', ')}` : ''}`;
    return change(ctx, [{ op: 'addPortRule', rule }], `Allowed ${what}: ${title} (${ruleOptionWords(rule).filter((w) => !w.startsWith('"')).join(', ')}).`);
  }
  expectArgs(ctx, 2, 2, PORT_USAGE);
  const { ports, protocol } = parsePortSpec(spec as string);
  const options = portRuleOptions(ctx.flags, verb);
  const expires = expiresFrom(ctx.flags);
  const profiles = await targetProfiles(ctx, verb === 'block' ? [...PROFILE_NAMES] : undefined);
  const rule: NewPortRule = {
    action: verb, protocol, ports, profiles, ...options,
    ...(expires ? { expires } : {}), ...(ctx.flags.comment ? { comment: ctx.flags.comment } : {}),
  };
  const out = options.direction === 'out';
  const remote = options.remote ?? [];
  const what = `${out ? 'outbound connections to ' : ''}${formatPortSpec(ports, protocol)} on ${profileList(profiles)}${remote.length ? ` ${out ? 'to' : 'from'} ${remote.join(', ')}` : ''}`;
  const extras = ruleOptionWords(rule).filter((w) => !w.startsWith('"'));
  if (verb === 'allow' && !out && !rule.alwaysOpen) extras.push('open while something listens');
  await change(ctx, [{ op: 'addPortRule', rule }], `${verb === 'allow' ? 'Allowed' : 'Blocked'} ${what}${extras.length ? `: ${extras.join(', ')}` : ''}.`);
}

// ---- the drop log --------------------------------------------------------------------------

const LOG_USAGE = 'log [--follow] [--json] [--limit N]';

/** How many entries `log` asks for: --limit N (at most the helper's 10,000); --follow may say 0 (only new ones). */
export function logLimit(flags: Pick<Flags, 'limit' | 'follow'>): number {
  const texts = flags.limit ?? [];
  if (texts.length > 1) throw new UsageError('give --limit once: the number of entries to show');
  const follow = flags.follow === true;
  if (texts[0] === undefined) return follow ? 10 : 50;
  return parseCount(texts[0], '--limit', follow ? 0 : 1, 10_000);
}

async function logCommand(ctx: CommandContext): Promise<void> {
  expectArgs(ctx, 0, 0, LOG_USAGE);
  const limit = logLimit(ctx.flags);
  if (!ctx.flags.follow) return read(ctx, ctx.client.call('GetDropLog', { limit }), formatDropLog);

  // Listen for the stop before printing anything (stdout may close while the history prints).
  const stopped = ctx.untilStopped().then(() => 'stopped' as const);
  // Subscribe first, then read the history, so nothing falls between the two; what arrived
  // meanwhile and is in the history already is shown once.
  const show = (e: DropEntry) => ctx.print(ctx.flags.json ? JSON.stringify(e) : formatDropLine(dropRow(e)));
  let early: DropEntry[] | undefined = [];
  const unsubscribe = await ctx.client.on('DropsLogged', (entries) => {
    if (early) early.push(...entries);
    else entries.forEach(show);
  });
  let helperGone!: () => void;
  const gone = new Promise<'gone'>((resolve) => { helperGone = () => resolve('gone'); });
  const unwatch = await ctx.client.watchHelper((present) => { if (!present) helperGone(); });
  try {
    const history = limit > 0 ? await ctx.client.call('GetDropLog', { limit }) : [];
    if (!ctx.flags.json) ctx.print(formatDropLine(DROP_HEADER));
    history.forEach(show);
    const shown = new Set(history.map((e) => JSON.stringify(e)));
    const meanwhile = early.filter((e) => !shown.has(JSON.stringify(e)));
    early = undefined;
    meanwhile.forEach(show);
    const why = await Promise.race([stopped, gone]);
    if (why === 'gone') throw new Error('the Palisade helper stopped; there is nothing more to follow');
  } finally {
    unsubscribe();
    unwatch();
  }
}

// ---- rules and apps with their hit counts ------------------------------------------------------

/** The policy with the kernel's hit counts beside each rule (a helper without counts gives none). */
async function policyWithHits(ctx: CommandContext): Promise<PolicyView> {
  const [policy, counts] = await Promise.all([
    ctx.client.call('GetPolicy', {}),
    ctx.client.call('GetHitCounts', {}).catch((err: unknown): HitCounts | null => {
      if (err instanceof FirewallError && err.code === 'protocol') return null; // an older helper
      throw err;
    }),
  ]);
  return withHits(policy as Policy, counts);
}

async function networkCommand(ctx: CommandContext): Promise<void> {
  const [verb, id, profileWord] = ctx.args;
  if (verb === 'list' && ctx.args.length === 1) return read(ctx, ctx.client.call('ListNetworks', {}), formatNetworks);
  if (verb === 'set' && id && profileWord && ctx.args.length === 3) {
    const [profile] = parseProfiles(profileWord);
    if (!profile || profileWord.includes(',')) throw new UsageError('a network has one profile: private or public');
    let key = id;
    if (id === 'current') {
      const { active } = await ctx.client.call('ListNetworks', {});
      const current = active.find((n) => n.primary) ?? active[0];
      if (!current) throw new UsageError('the machine is on no network right now');
      key = current.key;
    }
    return change(ctx, [{ op: 'setNetworkProfile', network: key, profile }], `${key} is now ${profile}.`);
  }
  if (verb === 'forget' && id && ctx.args.length === 2) return change(ctx, [{ op: 'forgetNetwork', network: id }], `Forgot ${id}.`);
  throw new UsageError('usage: palisade network list | network set ID|current private|public | network forget ID');
}

async function policyCommand(ctx: CommandContext): Promise<void> {
  const [verb, file] = ctx.args;
  if (verb === 'export' && ctx.args.length <= 2) {
    const policy = await ctx.client.call('GetPolicy', {});
    const text = `${JSON.stringify(policy, null, 2)}\n`;
    if (file) {
      await writeFile(file, text, { mode: 0o644 });
      if (!ctx.flags.json) ctx.print(`Exported the policy to ${file}.`);
    } else {
      process.stdout.write(text);
    }
    return;
  }
  if (verb === 'import' && file && ctx.args.length === 2) {
    let data: unknown;
    try {
      data = JSON.parse(await readFile(file, 'utf8'));
    } catch (err) {
      throw new Error(`cannot read ${file}: ${(err as Error).message}`, { cause: err });
    }
    const checked = validatePolicy(data);
    if (!checked.ok) throw new Error(`${file} is not a valid policy:\n${checked.issues.map((i) => `  ${i.path || '(document)'}: ${i.message}`).join('\n')}`);
    const confirmWithin = ctx.flags.confirmWithin !== undefined ? parseDuration(ctx.flags.confirmWithin) : undefined;
    const result = await ctx.client.call('ReplacePolicy', { policy: checked.value, ...(confirmWithin !== undefined ? { confirmWithin } : {}) }, { interactive: ctx.flags.interactive });
    if (ctx.flags.json) return json(ctx, result);
    ctx.print(`Imported ${file} (revision ${result.revision}).`);
    if (result.pending) await confirmOrExplain(ctx, result.pending);
    return;
  }
  throw new UsageError('usage: palisade policy export [FILE] | policy import FILE');
}

async function promptCommand(ctx: CommandContext): Promise<void> {
  const [verb, id] = expectArgs(ctx, 2, 2, 'prompt allow|block ID [--profile private,public]');
  if (verb !== 'allow' && verb !== 'block') throw new UsageError('usage: palisade prompt allow|block ID [--profile private,public]');
  const decision = verb === 'allow' ? { action: 'allow' as const, profiles: ctx.flags.profile !== undefined ? parseProfiles(ctx.flags.profile) : (['private'] as ProfileName[]) } : { action: 'block' as const };
  const result: MethodResult<'AnswerPrompt'> = await ctx.client.call('AnswerPrompt', { id: id as string, decision }, { interactive: ctx.flags.interactive });
  if (ctx.flags.json) return json(ctx, result);
  ctx.print(verb === 'allow' ? `Allowed on ${decision.action === 'allow' ? decision.profiles.join(' and ') : ''}.` : 'Blocked.');
}

export const COMMANDS: Record<string, { run: Command; help: string }> = {
  status: { help: 'status                          profiles, and the profile in force on each interface', run: reader('status', (ctx) => ctx.client.call('GetStatus', {}), formatStatus) },
  stealth: { help: 'stealth on|off [--profile P]    closed ports stay silent', run: profileSwitch('stealth', 'on', 'off', 'Stealth') },
  shields: { help: 'shields up|down [--profile P]   block all incoming connections, including allowed apps', run: profileSwitch('shieldsUp', 'up', 'down', 'Shields') },
  ping: { help: 'ping on|off [--profile P]       answer ping', run: profileSwitch('answerPing', 'on', 'off', 'Ping') },
  firewall: { help: 'firewall on|off [--profile P]   turn the firewall on or off for a profile', run: profileSwitch('enabled', 'on', 'off', 'Firewall') },
  'scan-detection': {
    help: 'scan-detection on|off [--ports 20] [--within 5s] [--block 10m] [--profile P]\n'
      + '                                  drop a source entirely once it touched N closed ports within the time',
    run: scanDetectionCommand,
  },
  'anti-spoofing': {
    help: 'anti-spoofing on|off [--profile P]\n'
      + '                                  drop packets whose source address could not be answered on their interface',
    run: profileSwitch('antiSpoofing', 'on', 'off', 'Anti-spoofing', 'anti-spoofing'),
  },
  outbound: {
    help: 'outbound allow|block [--profile P]\n'
      + '                                  what happens to outgoing connections no rule decides',
    run: outboundCommand,
  },
  essentials: {
    help: 'essentials dns|dhcp|ntp|all on|off [--profile P]\n'
      + '                                  what stays allowed out while outbound is blocked (several: dns,ntp;\n'
      + '                                  DNS only to the configured resolvers)',
    run: essentialsCommand,
  },
  app: {
    help: 'app allow|block|remove APP [--profile P] [--limit 3/10s,4/30m [--limit-block 30m]]\n'
      + '  app limit APP RATES|off [--limit-block 30m]\n'
      + '                                  set or remove an allowed app\'s brute-force limits\n'
      + '                                  APP: /path, "python3 /path/script.py", flatpak:ID, snap:NAME, appimage:NAME',
    run: appCommand,
  },
  apps: { help: 'apps                            app rules, with packet counts and limits', run: reader('apps', policyWithHits, formatApps) },
  port: {
    help: 'port allow|block PORT[-PORT][/tcp|/udp] [--profile P] [--from CIDR]... [--for 1h] [--comment TEXT]\n'
      + '      inbound allow only: [--always-open] [--knock 7001/tcp,7002/udp [--knock-window 10s] [--knock-open 30s]]\n'
      + '                          [--limit 3/10s,4/30m [--limit-block 30m]]\n'
      + '      outbound: --out [--to CIDR]...   (ports and networks are the remote ones)\n'
      + '  port allow --preset ssh [--profile P] [--from CIDR]...\n'
      + `                                  ${presetSummary('ssh')}\n`
      + '  port remove PORT|ID [--out] [--profile P]',
    run: portCommand,
  },
  rules: { help: 'rules                           port rules, with packet counts, knocking, limits and expiry', run: reader('rules', policyWithHits, (v) => formatRules(v)) },
  log: {
    help: 'log [--follow] [--json] [--limit N]\n'
      + '                                  recent blocked attempts (--follow: then new ones as they come, until Ctrl-C)',
    run: logCommand,
  },
  network: { help: 'network list | set ID|current private|public | forget ID', run: networkCommand },
  sockets: { help: 'sockets [--listening]           sockets with their processes and apps', run: reader('sockets [--listening]', (ctx) => ctx.client.call('ListSockets', { listening: ctx.flags.listening }), formatSockets) },
  exposure: { help: 'exposure [--interface IF]       what a scanner on another host would see', run: reader('exposure [--interface IF]', (ctx) => ctx.client.call('GetExposure', ctx.flags.interface !== undefined ? { interface: ctx.flags.interface } : {}), formatExposure) },
  ruleset: { help: 'ruleset                         the nftables table as the kernel holds it', run: reader('ruleset', (ctx) => ctx.client.call('GetRuleset', {}), (r) => r.text.trimEnd()) },
  policy: { help: 'policy export [FILE] | policy import FILE', run: policyCommand },
  prompts: { help: 'prompts                         apps waiting for a decision', run: reader('prompts', (ctx) => ctx.client.call('ListPrompts', {}), formatPrompts) },
  prompt: { help: 'prompt allow|block ID [--profile P]', run: promptCommand },
  confirm: {
    help: 'confirm ID                      keep a change made with a confirmation window',
    run: async (ctx) => {
      const [id] = expectArgs(ctx, 1, 1, 'confirm ID');
      const result = await ctx.client.call('ConfirmChange', { id: id as string }, { interactive: ctx.flags.interactive });
      if (ctx.flags.json) json(ctx, result);
      else ctx.print('Kept.');
    },
  },
};
