// The helper's D-Bus interface, org.palisade.Firewall1, defined once. The helper's dispatcher,
// the CLI and the desktop app's client are all driven by this table, so a method, its polkit
// action, its argument checks and its result type cannot drift apart.
//
// On the wire every method takes one string and returns one string: a JSON document whose shape
// is the zod schema below (args are validated by the helper, results by the client). Signals
// carry one JSON string the same way. Structured documents such as the policy are JSON already;
// mapping them onto D-Bus variants would add a second, weaker schema. A method whose answer is
// too big for that (ListSockets: thousands of sockets) has a wire codec: the helper encodes the
// result into a compact document, the client checks that document against the codec's schema and
// decodes it, so callers still get the result type below.
import { z } from 'zod';
import {
  AppIdentitySchema, KnownNetworkSchema, NetworkIdentitySchema, PolicySchema, ProfileNameSchema, ProfileSettingsSchema,
} from '../policy/schema';
import { PolicyEditSchema } from '../policy/edits';
import { ValidPolicySchema } from '../policy/validate';
import { DropEntrySchema, HitCountsSchema } from '../runtime/droplog';
import type { SocketEntry } from '../runtime/sockets';
import type { ActiveNetwork } from '../runtime/networks';
import type { InterfaceExposure } from '../exposure/predict';
import { ProcessInfoSchema, SOCKET_STATES, socketListCodec } from './socket-wire';

export const BUS_NAME = 'org.palisade.Firewall1';
export const OBJECT_PATH = '/org/palisade/Firewall1';
export const INTERFACE_NAME = 'org.palisade.Firewall1';

export const POLKIT_ACTIONS = {
  read: 'org.palisade.firewall.read',
  manage: 'org.palisade.firewall.manage',
} as const;
export type Access = keyof typeof POLKIT_ACTIONS;

/** D-Bus error names the helper answers with. */
export const DBUS_ERRORS = {
  accessDenied: 'org.freedesktop.DBus.Error.AccessDenied',
  invalidArgs: 'org.freedesktop.DBus.Error.InvalidArgs',
  unknownMethod: 'org.freedesktop.DBus.Error.UnknownMethod',
  /** A change that could not be made: an edit that does not fit, nft refusing the ruleset, … */
  failed: 'org.palisade.Firewall1.Error.Failed',
  /** Another change is waiting for confirmation. */
  busy: 'org.palisade.Firewall1.Error.ChangePending',
} as const;

// ---- payloads ----------------------------------------------------------------------------

export const SocketEntrySchema = z.object({
  protocol: z.enum(['tcp', 'udp']),
  family: z.union([z.literal(4), z.literal(6)]),
  state: z.enum(SOCKET_STATES),
  address: z.string(),
  port: z.number().int(),
  remoteAddress: z.string(),
  remotePort: z.number().int(),
  v6Only: z.boolean().optional(),
  boundInterface: z.string().optional(),
  inode: z.number().int(),
  uid: z.number().int(),
  process: ProcessInfoSchema.optional(),
  app: AppIdentitySchema.optional(),
});

const ScanStateSchema = z.enum(['open', 'closed', 'filtered', 'open|filtered']);
const ReasonSchema = z.object({
  kind: z.enum(['firewall-off', 'shields-up', 'blocked-app', 'block-rule', 'always-open', 'allow-rule', 'allowed-idle', 'allowed-app', 'default-allow', 'not-allowed', 'knock-required', 'knock-port']),
  ruleId: z.string().optional(),
});

export const InterfaceExposureSchema = z.object({
  interface: z.string(),
  profile: ProfileNameSchema,
  ping: z.boolean(),
  unlistedPort: z.object({ tcp: ScanStateSchema, udp: ScanStateSchema }),
  ports: z.array(z.object({
    address: z.string(),
    protocol: z.enum(['tcp', 'udp']),
    port: z.number().int(),
    state: ScanStateSchema,
    reason: ReasonSchema,
    listening: z.boolean(),
    profile: ProfileNameSchema,
    afterKnock: ScanStateSchema.optional(),
    rateLimited: z.object({
      owner: z.enum(['port', 'app']),
      id: z.string(),
      rates: z.array(z.object({ count: z.number().int(), seconds: z.number().int() })),
      blockSeconds: z.number().int(),
    }).optional(),
  })),
});

export const ActiveNetworkSchema = z.object({
  interface: z.string(),
  identity: NetworkIdentitySchema,
  name: z.string(),
  primary: z.boolean(),
});

const NetworkRefSchema = z.object({ key: z.string(), name: z.string(), known: z.boolean() });

export const StatusSchema = z.object({
  version: z.string(),
  /** Goes up by one with every policy change. */
  revision: z.number().int(),
  policy: z.object({
    path: z.string(),
    source: z.enum(['file', 'last-good', 'default']),
    problem: z.object({ file: z.string(), reason: z.string() }).optional(),
  }),
  profiles: z.object({ private: ProfileSettingsSchema, public: ProfileSettingsSchema }),
  interfaces: z.array(z.object({
    name: z.string(),
    profile: ProfileNameSchema,
    /** Pinned in the policy, whatever network it is on. */
    pinned: z.boolean(),
    network: NetworkRefSchema.optional(),
    addresses: z.array(z.string()),
  })),
  networkSource: z.enum(['networkmanager', 'gateway', 'none']),
  /** DNS servers the system uses: with outbound blocked, the DNS essential allows exactly these. */
  resolvers: z.array(z.string()),
  pendingChange: z.object({ id: z.string(), deadline: z.string() }).optional(),
  counts: z.object({ apps: z.number().int(), portRules: z.number().int(), listening: z.number().int(), prompts: z.number().int() }),
});
export type Status = z.infer<typeof StatusSchema>;

export const PromptSchema = z.object({
  id: z.string(),
  app: AppIdentitySchema,
  name: z.string(),
  process: ProcessInfoSchema.optional(),
  ports: z.array(z.object({ protocol: z.enum(['tcp', 'udp']), port: z.number().int(), address: z.string() })),
  /** Profiles in force on the machine's interfaces when the app started listening. */
  profiles: z.array(ProfileNameSchema),
  since: z.string(),
});
export type Prompt = z.infer<typeof PromptSchema>;

export const PromptDecisionSchema = z.discriminatedUnion('action', [
  z.strictObject({ action: z.literal('allow'), profiles: z.array(ProfileNameSchema).min(1) }),
  z.strictObject({ action: z.literal('block') }),
]);

export const NetworksSchema = z.object({
  known: z.array(KnownNetworkSchema.extend({ key: z.string(), active: z.boolean() })),
  active: z.array(ActiveNetworkSchema.extend({ key: z.string(), known: z.boolean(), profile: ProfileNameSchema })),
});

export const ChangeResultSchema = z.object({
  revision: z.number().int(),
  /** Present when the change must be confirmed before the deadline, or it rolls back. */
  pending: z.object({ id: z.string(), deadline: z.string() }).optional(),
});

const ConfirmWithinSchema = z.number().int().min(5).max(600).optional()
  .describe('Roll the change back unless ConfirmChange is called within this many seconds.');

const NoArgs = z.strictObject({});

// ---- the interface -----------------------------------------------------------------------

/**
 * How a result travels when plain JSON of it is too costly: `encode` runs in the helper before
 * JSON.stringify, `schema` checks the parsed document in the client, `decode` turns a checked
 * document back into the result. decode(encode(x)) must equal x (test/unit/socket-wire.test.ts).
 */
export interface WireCodec<T, W> {
  schema: z.ZodType<W>;
  encode(value: T): W;
  decode(wire: W): T;
}

interface MethodSpec<A extends z.ZodType, R extends z.ZodType> {
  access: Access; args: A; result: R; doc: string;
  /** The result's wire form, when it is not the plain JSON of `result`. */
  wire?: WireCodec<z.output<R>, unknown> | undefined;
}
const method = <A extends z.ZodType, R extends z.ZodType>(access: Access, args: A, result: R, doc: string, wire?: WireCodec<z.output<R>, unknown>): MethodSpec<A, R> =>
  ({ access, args, result, doc, wire });

export const METHODS = {
  GetStatus: method('read', NoArgs, StatusSchema, 'Profiles, the profile in force on each interface, and the helper\'s health.'),
  GetPolicy: method('read', NoArgs, PolicySchema, 'The policy in force.'),
  ListSockets: method('read', z.strictObject({ listening: z.boolean().default(false) }), z.array(SocketEntrySchema),
    'Sockets with their process and app; with listening, only those that accept packets from other hosts. Answers in the compact form of shared/dbus/socket-wire.ts.',
    socketListCodec),
  GetExposure: method('read', z.strictObject({ interface: z.string().optional() }), z.array(InterfaceExposureSchema),
    'What a scanner on another host would see, per interface.'),
  GetRuleset: method('read', NoArgs, z.object({ text: z.string() }), 'table inet palisade as the kernel holds it.'),
  ListNetworks: method('read', NoArgs, NetworksSchema, 'Known networks and the networks the machine is on now.'),
  ListPrompts: method('read', NoArgs, z.array(PromptSchema), 'Apps waiting for an allow/block decision.'),
  ChangePolicy: method('manage', z.strictObject({ edits: z.array(PolicyEditSchema).min(1).max(1000), confirmWithin: ConfirmWithinSchema }), ChangeResultSchema,
    'Applies edits to the policy in one step.'),
  ReplacePolicy: method('manage', z.strictObject({ policy: ValidPolicySchema, confirmWithin: ConfirmWithinSchema }), ChangeResultSchema,
    'Replaces the whole policy (import).'),
  ConfirmChange: method('manage', z.strictObject({ id: z.string() }), ChangeResultSchema, 'Keeps a change applied with confirmWithin.'),
  AnswerPrompt: method('manage', z.strictObject({ id: z.string(), decision: PromptDecisionSchema }), ChangeResultSchema,
    'Records the decision for a new app: allow on profiles, or block (the Windows "cancel").'),
  GetDropLog: method('read', z.strictObject({ limit: z.number().int().min(1).max(10_000).default(200) }), z.array(DropEntrySchema),
    'Recent blocked attempts, newest last.'),
  GetHitCounts: method('read', NoArgs, HitCountsSchema, 'How many packets each rule matched (kept across changes to the policy).'),
} as const;

export type MethodName = keyof typeof METHODS;
export type MethodArgs<M extends MethodName> = z.input<(typeof METHODS)[M]['args']>;
export type ParsedArgs<M extends MethodName> = z.output<(typeof METHODS)[M]['args']>;
export type MethodResult<M extends MethodName> = z.output<(typeof METHODS)[M]['result']>;

export const SIGNALS = {
  StatusChanged: StatusSchema,
  ListeningChanged: z.object({ added: z.array(SocketEntrySchema), removed: z.array(SocketEntrySchema) }),
  NewAppPrompt: PromptSchema,
  PromptClosed: z.object({ id: z.string() }),
  NewNetwork: ActiveNetworkSchema.extend({ key: z.string() }),
  ChangeRolledBack: z.object({ id: z.string(), revision: z.number().int() }),
  /** New blocked attempts, batched (at most a few times a second). */
  DropsLogged: z.array(DropEntrySchema),
} as const;

export type SignalName = keyof typeof SIGNALS;
export type SignalPayload<S extends SignalName> = z.output<(typeof SIGNALS)[S]>;

/** Properties: small values worth watching without a call. */
export const PROPERTIES = {
  Version: { signature: 's' },
  Revision: { signature: 'u' },
} as const;
export type PropertyName = keyof typeof PROPERTIES;

// The payload schemas above restate types the core produces; these lines stop compiling if a
// value the helper sends could ever fail the schema its clients check it with.
type Fits<Core, Schema extends z.ZodType> = Core extends z.input<Schema> ? true : false;
export const payloadsFitTheirSchemas: [
  Fits<SocketEntry, typeof SocketEntrySchema>,
  Fits<ActiveNetwork, typeof ActiveNetworkSchema>,
  Fits<InterfaceExposure, typeof InterfaceExposureSchema>,
] = [true, true, true];
