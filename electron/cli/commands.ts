// The palisade commands. Reads print text (or the contract's JSON with --json); changes are
// policy edits sent to the helper in one call.
import { readFile, writeFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import type { FirewallClient } from '../client/firewall-client';
import type { MethodResult } from '../../shared/dbus/contract';
import type { PolicyEditInput as PolicyEdit } from '../../shared/policy/edits';
import { applyEdits } from '../../shared/policy/edits';
import { parseAppIdentity, formatAppIdentity } from '../../shared/policy/identity-text';
import { appKey } from '../../shared/policy/identity';
import { validatePolicy } from '../../shared/policy/validate';
import { PROFILE_NAMES, type ProfileName, type ProfileSettings } from '../../shared/policy/schema';
import { parseSshConnection, wouldCutOff } from '../../shared/exposure/cutoff';
import { UsageError, formatPortSpec, onOff, parseDuration, parsePortSpec, parseProfiles } from './args';
import { formatApps, formatExposure, formatNetworks, formatPrompts, formatRules, formatSockets, formatStatus } from './format';

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
}

export interface CommandContext {
  /** Connects on first use, so a usage error is reported without touching the bus. */
  client: Pick<FirewallClient, 'call'>;
  args: string[];
  flags: Flags;
  print: (text: string) => void;
  env: NodeJS.ProcessEnv;
  isTTY: boolean;
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

const profileSwitch = (key: keyof ProfileSettings, on: string, off: string, label: string): Command => async (ctx) => {
  const [word] = expectArgs(ctx, 1, 1, `${label.split(' ')[0]?.toLowerCase()} ${on}|${off} [--profile P]`);
  const value = onOff(word, on, off);
  const profiles = await targetProfiles(ctx);
  await change(ctx, profiles.map((profile) => ({ op: 'setProfile', profile, settings: { [key]: value } })), `${label} ${word} for ${profiles.join(' and ')}.`);
};

async function appCommand(ctx: CommandContext): Promise<void> {
  const [verb, ...rest] = expectArgs(ctx, 2, 3, 'app allow|block|remove IDENTITY [--profile private,public]');
  const text = rest.join(' ');
  if (verb === 'remove') {
    const policy = await ctx.client.call('GetPolicy', {});
    const byId = policy.apps.find((a) => a.id === text);
    const app = byId ?? policy.apps.find((a) => appKey(a.identity) === appKey(parseAppIdentity(text)));
    if (!app) throw new UsageError(`no app rule for "${text}" (see: palisade apps)`);
    return change(ctx, [{ op: 'removeApp', app: app.id }], `Removed ${app.name ?? formatAppIdentity(app.identity)}.`);
  }
  if (verb !== 'allow' && verb !== 'block') throw new UsageError('usage: palisade app allow|block|remove IDENTITY [--profile private,public]');
  const identity = parseAppIdentity(text);
  // Blocking is everywhere unless said otherwise (the Windows "cancel"); allowing follows the networks in force.
  const profiles = await targetProfiles(ctx, verb === 'block' ? [...PROFILE_NAMES] : undefined);
  await change(ctx, [{ op: 'setApp', identity, action: verb, profiles }], `${verb === 'allow' ? 'Allowed' : 'Blocked'} ${formatAppIdentity(identity)} on ${profiles.join(' and ')}.`);
}

async function portCommand(ctx: CommandContext): Promise<void> {
  const [verb, spec] = expectArgs(ctx, 2, 2, 'port allow|block|remove PORT[-PORT][/tcp|/udp] [--profile P] [--from CIDR] [--always-open] [--for DURATION]');
  if (verb === 'remove') {
    const policy = await ctx.client.call('GetPolicy', {});
    const byId = policy.portRules.filter((r) => r.id === spec);
    let matches = byId;
    if (!matches.length) {
      const { ports, protocol } = parsePortSpec(spec as string);
      const profiles = ctx.flags.profile !== undefined ? parseProfiles(ctx.flags.profile) : undefined;
      matches = policy.portRules.filter((r) => r.ports.from === ports.from && r.ports.to === ports.to
        && (spec?.includes('/') ? r.protocol === protocol : true) && (!profiles || profiles.every((p) => r.profiles.includes(p))));
    }
    if (!matches.length) throw new UsageError(`no port rule matches "${spec}" (see: palisade rules)`);
    return change(ctx, matches.map((r) => ({ op: 'removePortRule', id: r.id })), `Removed ${matches.map((r) => `${r.id} (${formatPortSpec(r.ports, r.protocol)})`).join(', ')}.`);
  }
  if (verb !== 'allow' && verb !== 'block') throw new UsageError('usage: palisade port allow|block|remove PORT[-PORT][/tcp|/udp] …');
  const { ports, protocol } = parsePortSpec(spec as string);
  if (ctx.flags.alwaysOpen && verb === 'block') throw new UsageError('--always-open only goes with "port allow"');
  const profiles = await targetProfiles(ctx, verb === 'block' ? [...PROFILE_NAMES] : undefined);
  const expires = ctx.flags.for ? new Date(Date.now() + parseDuration(ctx.flags.for) * 1000).toISOString() : undefined;
  const rule: Extract<PolicyEdit, { op: 'addPortRule' }>['rule'] = {
    action: verb, protocol, ports, profiles, remote: ctx.flags.from, alwaysOpen: ctx.flags.alwaysOpen,
    ...(expires ? { expires } : {}), ...(ctx.flags.comment ? { comment: ctx.flags.comment } : {}),
  };
  const what = `${formatPortSpec(ports, protocol)} on ${profiles.join(' and ')}${ctx.flags.from.length ? ` from ${ctx.flags.from.join(', ')}` : ''}`;
  await change(ctx, [{ op: 'addPortRule', rule }], `${verb === 'allow' ? 'Allowed' : 'Blocked'} ${what}${ctx.flags.alwaysOpen ? ', always open' : verb === 'allow' ? ' (open while something listens)' : ''}${expires ? ` until ${expires}` : ''}.`);
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
  app: { help: 'app allow|block|remove APP [--profile P]   APP: /path, "python3 /path/script.py", flatpak:ID, snap:NAME, appimage:NAME', run: appCommand },
  apps: { help: 'apps                            app rules', run: reader('apps', (ctx) => ctx.client.call('GetPolicy', {}), formatApps) },
  port: { help: 'port allow|block|remove PORT[-PORT][/tcp|/udp] [--profile P] [--from CIDR]... [--always-open] [--for 1h]', run: portCommand },
  rules: { help: 'rules                           port rules', run: reader('rules', (ctx) => ctx.client.call('GetPolicy', {}), formatRules) },
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
