// The policy document: the one source of truth for what Palisade enforces. The zod schema
// below is the only definition; the TypeScript types, the validator and the published JSON
// Schema (docs/policy.schema.json) are all derived from it.
import { z } from 'zod';
import { parseNetwork } from '../net/address';

export const POLICY_VERSION = 1;

export const PROFILE_NAMES = ['private', 'public'] as const;
export const ProfileNameSchema = z.enum(PROFILE_NAMES);
export type ProfileName = z.infer<typeof ProfileNameSchema>;

/** Ids name apps, rules and networks in the CLI, the UI and nftables rule comments. */
export const IdSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'must be 1–64 letters, digits, "_", "." or "-", starting with a letter or digit');

/** Linux interface names (dev_valid_name), minus characters nftables treats as wildcards. */
export const InterfaceNameSchema = z
  .string()
  .regex(/^[A-Za-z0-9_][A-Za-z0-9_.+-]{0,14}$/, 'must be a Linux interface name: 1–15 letters, digits, "_", ".", "+" or "-"');

/** The first thing wrong with a path to a program or script, or null. */
function absolutePathProblem(p: string): string | null {
  if (!p.startsWith('/')) return 'must be an absolute path';
  if (p.includes('\0')) return 'must not contain a NUL byte';
  if (p.endsWith('/')) return 'must name a file, not end with "/"';
  if (p.split('/').slice(1).some((seg) => seg === '' || seg === '.' || seg === '..')) return 'must be normalised (no "//", "." or ".." segments)';
  return null;
}

const AbsolutePathSchema = z.string().max(4096).superRefine((p, ctx) => {
  const problem = absolutePathProblem(p);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

const PortSchema = z.number().int('must be a whole number').min(1, 'ports start at 1').max(65535, 'ports end at 65535');

export const PortRangeSchema = z
  .strictObject({ from: PortSchema, to: PortSchema })
  .refine((r) => r.from <= r.to, { message: '"from" must not be greater than "to"', path: ['to'] });
export type PortRange = z.infer<typeof PortRangeSchema>;

/** An IPv4/IPv6 network in CIDR form, or a single address. */
export const RemoteNetworkSchema = z.string().superRefine((text, ctx) => {
  try {
    parseNetwork(text);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
  }
});

const ProfileListSchema = z
  .array(ProfileNameSchema)
  .refine((list) => new Set(list).size === list.length, 'lists a profile twice');

const DateTimeSchema = z.iso.datetime({ offset: true, message: 'must be an ISO 8601 date and time, like 2026-11-21T18:00:00Z' });

const Seconds = (max: number) => z.number().int('must be a whole number of seconds').min(1, 'must be at least 1 second').max(max, `must be at most ${max} seconds`);

/** Port-scan detection: a source that touches `ports` closed ports within `withinSeconds` is dropped entirely for `blockSeconds`. */
export const ScanDetectionSchema = z.strictObject({
  enabled: z.boolean(),
  ports: z.number().int().min(2).max(10_000),
  withinSeconds: Seconds(3600),
  blockSeconds: Seconds(7 * 86400),
});
export type ScanDetection = z.infer<typeof ScanDetectionSchema>;

/** Outbound traffic a desktop needs, allowed even when the default outbound action is block. */
export const OutboundEssentialsSchema = z.strictObject({
  /** DNS to the resolvers the system is configured with. */
  dns: z.boolean(),
  /** DHCP and DHCPv6 client requests. */
  dhcp: z.boolean(),
  /** NTP (UDP 123). */
  ntp: z.boolean(),
});

/** Each profile setting with its meaning; the profile schemas add the defaults. */
const profileSettingFields = {
  enabled: z.boolean(),
  stealth: z.boolean(),
  shieldsUp: z.boolean(),
  answerPing: z.boolean(),
  defaultInbound: z.enum(['block', 'allow']),
  defaultOutbound: z.enum(['allow', 'block']),
  notify: z.boolean(),
  scanDetection: ScanDetectionSchema,
  antiSpoofing: z.boolean(),
  outboundEssentials: OutboundEssentialsSchema,
};

function profileSettingsSchema(answerPingByDefault: boolean) {
  const f = profileSettingFields;
  return z.strictObject({
    enabled: f.enabled.default(true).describe('The firewall is on for this profile.'),
    stealth: f.stealth.default(true).describe('Closed ports stay silent: no TCP reset, no ICMP port unreachable.'),
    shieldsUp: f.shieldsUp.default(false).describe('Block all incoming connections, including allowed apps.'),
    answerPing: f.answerPing.default(answerPingByDefault).describe('Answer ICMP/ICMPv6 echo requests.'),
    defaultInbound: f.defaultInbound.default('block').describe('What happens to inbound traffic no rule allows.'),
    defaultOutbound: f.defaultOutbound.default('allow').describe('What happens to outbound traffic no rule decides.'),
    notify: f.notify.default(true).describe('Ask when an app with no rule starts listening.'),
    scanDetection: f.scanDetection.default({ enabled: false, ports: 20, withinSeconds: 5, blockSeconds: 600 })
      .describe('Drop a source entirely for a while once it has touched many closed ports in a short time.'),
    antiSpoofing: f.antiSpoofing.default(true).describe('Drop packets whose source address could not be answered through the interface they came in on (reverse-path filter).'),
    outboundEssentials: f.outboundEssentials.default({ dns: true, dhcp: true, ntp: true })
      .describe('With outbound blocked by default, still allow DNS to the configured resolvers, DHCP and NTP.'),
  });
}

export const ProfileSettingsSchema = profileSettingsSchema(false);
/** Some settings of a profile, to change them and nothing else: no defaults are filled in. */
export const ProfileSettingsPatchSchema = z.strictObject(profileSettingFields).partial();
export type ProfileSettings = z.infer<typeof ProfileSettingsSchema>;

/**
 * What identifies an app across updates and relaunches. Interpreted programs are known by
 * their script, Flatpak and Snap apps by their ids, AppImages by name (the mount path changes
 * every launch).
 */
export const AppIdentitySchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('executable'), path: AbsolutePathSchema }),
  z.strictObject({ kind: z.literal('script'), interpreter: AbsolutePathSchema, script: AbsolutePathSchema }),
  z.strictObject({
    kind: z.literal('flatpak'),
    appId: z.string().max(255).regex(/^[A-Za-z_][A-Za-z0-9_-]*(\.[A-Za-z_][A-Za-z0-9_-]*){2,}$/, 'must be a Flatpak application id like org.example.App'),
  }),
  z.strictObject({
    kind: z.literal('snap'),
    name: z.string().regex(/^(?=.*[a-z])[a-z0-9](?:-?[a-z0-9])*$/, 'must be a snap name: lowercase letters, digits and single hyphens').max(40),
  }),
  z.strictObject({
    kind: z.literal('appimage'),
    name: z.string().min(1).max(255).regex(/^[^/\0]+$/, 'must be a file name, without "/" or NUL'),
  }),
], { error: 'must be an app identity with "kind" one of executable, script, flatpak, snap, appimage' });
export type AppIdentity = z.infer<typeof AppIdentitySchema>;

/** A knock: one packet to this protocol and port. */
export const KnockSchema = z.strictObject({ protocol: z.enum(['tcp', 'udp']), port: z.number().int().min(1).max(65535) });

/** Port knocking: the knocks in order, each within `windowSeconds` of the last; the port then stays open for the knocking address for `openSeconds`. */
export const KnockingSchema = z.strictObject({
  sequence: z.array(KnockSchema).min(1, 'needs at least one knock').max(8, 'at most 8 knocks'),
  windowSeconds: Seconds(3600),
  openSeconds: Seconds(86400),
});
export type Knocking = z.infer<typeof KnockingSchema>;

/** Brute-force limits: at most `count` new connections per `seconds` from one source (each rate); a source over any of them is blocked on the rule for `blockSeconds`. */
export const RateLimitSchema = z.strictObject({
  rates: z.array(z.strictObject({ count: z.number().int().min(1).max(100_000), seconds: Seconds(86400) })).min(1, 'needs at least one rate').max(4),
  blockSeconds: Seconds(7 * 86400),
});
export type RateLimit = z.infer<typeof RateLimitSchema>;

export const RuleActionSchema = z.enum(['allow', 'block']);
export type RuleAction = z.infer<typeof RuleActionSchema>;

export const AppRuleSchema = z.strictObject({
  id: IdSchema,
  name: z.string().max(128).optional().describe('Display name; defaults to one derived from the identity.'),
  identity: AppIdentitySchema,
  action: RuleActionSchema.describe('allow: the app may accept connections on the listed profiles; block: never.'),
  profiles: ProfileListSchema.describe('Profiles the rule applies to; an allow rule with none stays listed, unchecked.'),
  limit: RateLimitSchema.optional().describe('Brute-force limits on new connections to the app.'),
}).refine((a) => !(a.limit && a.action === 'block'), { message: '"limit" only applies to allow rules', path: ['limit'] });
export type AppRule = z.infer<typeof AppRuleSchema>;

export const ProtocolSchema = z.enum(['tcp', 'udp', 'both']);
export type RuleProtocol = z.infer<typeof ProtocolSchema>;

/** The fields of a port rule; PortRuleSchema adds the checks that span fields. */
export const PortRuleFieldsSchema = z.strictObject({
  id: IdSchema,
  enabled: z.boolean().default(true),
  direction: z.enum(['in', 'out']).default('in').describe('in: connections to this computer (ports are local); out: connections it makes (ports and networks are remote).'),
  action: RuleActionSchema,
  protocol: ProtocolSchema,
  ports: PortRangeSchema,
  profiles: ProfileListSchema.min(1, 'names no profile; list at least one'),
  remote: z.array(RemoteNetworkSchema).max(256).default([]).describe('Remote networks the rule applies to; empty means any.'),
  alwaysOpen: z.boolean().default(false).describe('Accept even when nothing listens (the kernel then answers for the port). Default: only while a program listens.'),
  expires: DateTimeSchema.optional().describe('The rule stops applying at this time.'),
  comment: z.string().max(256).optional(),
  knock: KnockingSchema.optional().describe('Port knocking: the port opens for a source only after it knocked in order.'),
  limit: RateLimitSchema.optional().describe('Brute-force limits on new connections.'),
});

type RuleShape = {
  alwaysOpen?: boolean | undefined; action: RuleAction; direction?: 'in' | 'out' | undefined; limit?: unknown;
  protocol: RuleProtocol; ports: PortRange; knock?: Knocking | undefined;
};

/**
 * Checks across the fields of a port rule: "always open", knocking and limits are ways of
 * allowing connections to this computer, so only inbound allow rules may have them; and no knock
 * may be on a port the rule opens.
 */
export function portRuleProblems(r: RuleShape): { message: string; path: (string | number)[] }[] {
  const problems: { message: string; path: (string | number)[] }[] = [];
  const inboundAllow = r.action === 'allow' && r.direction !== 'out';
  if (r.alwaysOpen === true && !inboundAllow) problems.push({ message: '"alwaysOpen" only applies to inbound allow rules', path: ['alwaysOpen'] });
  if (r.knock !== undefined && !inboundAllow) problems.push({ message: '"knock" only applies to inbound allow rules', path: ['knock'] });
  if (r.limit !== undefined && !inboundAllow) problems.push({ message: '"limit" only applies to inbound allow rules', path: ['limit'] });
  // Knocks are dropped before any rule is looked at: a knock on the rule's own port would shut it for good.
  r.knock?.sequence.forEach((k, i) => {
    if ((r.protocol === 'both' || r.protocol === k.protocol) && k.port >= r.ports.from && k.port <= r.ports.to) {
      problems.push({ message: 'a knock must not be on a port the rule opens', path: ['knock', 'sequence', i] });
    }
  });
  return problems;
}

export function checkPortRule(r: RuleShape, ctx: z.RefinementCtx): void {
  for (const p of portRuleProblems(r)) ctx.addIssue({ code: 'custom', ...p });
}

export const PortRuleSchema = PortRuleFieldsSchema.superRefine(checkPortRule);
export type PortRule = z.infer<typeof PortRuleSchema>;

const MacSchema = z.string().regex(/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/, 'must be a MAC address in lowercase, like 52:54:00:12:34:56');

export const NetworkIdentitySchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('networkmanager'),
    uuid: z.uuid('must be a NetworkManager connection UUID'),
    ssid: z.string().max(32).optional(),
    bssid: MacSchema.optional(),
  }),
  z.strictObject({
    kind: z.literal('gateway'),
    address: z.union([z.ipv4(), z.ipv6()], { error: 'must be the gateway IPv4 or IPv6 address' }),
    mac: MacSchema,
  }),
], { error: 'must be a network identity with "kind" networkmanager or gateway' });
export type NetworkIdentity = z.infer<typeof NetworkIdentitySchema>;

export const KnownNetworkSchema = z.strictObject({
  name: z.string().min(1).max(128),
  identity: NetworkIdentitySchema,
  profile: ProfileNameSchema,
  undecided: z.boolean().default(false).describe('Remembered as Public on first sight; the user has not chosen a profile yet.'),
  firstSeen: DateTimeSchema.optional(),
  lastSeen: DateTimeSchema.optional(),
});
export type KnownNetwork = z.infer<typeof KnownNetworkSchema>;

export const PolicySchema = z.strictObject({
  $schema: z.string().optional(),
  version: z.literal(POLICY_VERSION, {
    error: (issue) => (issue.input === undefined
      ? `required: the policy format version (${POLICY_VERSION})`
      : `unsupported policy version; this Palisade reads version ${POLICY_VERSION}`),
  }),
  profiles: z.strictObject({
    private: profileSettingsSchema(true).prefault({}),
    public: profileSettingsSchema(false).prefault({}),
  }).prefault({}),
  apps: z.array(AppRuleSchema).default([]),
  portRules: z.array(PortRuleSchema).default([]),
  networks: z.array(KnownNetworkSchema).default([]),
  interfaces: z.record(InterfaceNameSchema, ProfileNameSchema).default({}).describe('Interfaces pinned to a profile, whatever network they join.'),
});
export type Policy = z.infer<typeof PolicySchema>;
/** A policy as written in a file: defaults may be left out. */
export type PolicyInput = z.input<typeof PolicySchema>;
