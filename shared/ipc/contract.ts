// The desktop app's IPC contract (renderer ↔ main process), defined once. The preload exposes
// exactly these channels, main validates every payload against these schemas and checks the
// sender, the lab bridge serves the same table over loopback HTTP, and the renderer's API type
// is derived from it.
import { z } from 'zod';
import {
  ChangeResultSchema, InterfaceExposureSchema, NetworksSchema, PromptDecisionSchema, PromptSchema, SocketEntrySchema,
  StatusSchema, ActiveNetworkSchema,
} from '../dbus/contract';
import { AppIdentitySchema, PolicySchema } from '../policy/schema';
import { PolicyEditSchema } from '../policy/edits';
import { ValidPolicySchema } from '../policy/validate';
import { DropEntrySchema, HitCountsSchema } from '../runtime/droplog';

// ---- payloads ----------------------------------------------------------------------------

/** How the app stands with the helper. */
export const HelperStateSchema = z.object({
  connection: z.enum(['connecting', 'connected', 'missing', 'unreachable']),
  /** The last change was refused by polkit: the user is not (yet) authorised. */
  notAuthorized: z.boolean(),
  /** The helper can be installed from here (one administrator password). */
  canInstall: z.boolean(),
  installing: z.boolean(),
  error: z.string().optional(),
});
export type HelperState = z.infer<typeof HelperStateSchema>;

export const LanguageSchema = z.enum(['system', 'en', 'ja']);
export const ThemeSchema = z.enum(['system', 'light', 'dark']);
export const SettingsSchema = z.object({
  language: LanguageSchema,
  theme: ThemeSchema,
  /** Desktop notifications for new apps and new networks. */
  notifications: z.boolean(),
});
export type Settings = z.infer<typeof SettingsSchema>;

export const AppInfoSchema = z.object({
  version: z.string(),
  /** Running in the lab (namespaces, private bus): "Scan me" is available. */
  labMode: z.boolean(),
  /** A system tray exists to put the icon in. */
  trayAvailable: z.boolean(),
  /** The user's preferred system languages (for "system" language). */
  systemLanguages: z.array(z.string()),
});
export type AppInfo = z.infer<typeof AppInfoSchema>;

/** An app as people know it: the name and icon from its .desktop file. */
export const AppDescriptionSchema = z.object({
  identity: AppIdentitySchema,
  name: z.string(),
  /** The icon as a data: URL, when one was found. */
  icon: z.string().optional(),
  /** The .desktop file it came from. */
  desktopFile: z.string().optional(),
});
export type AppDescription = z.infer<typeof AppDescriptionSchema>;

export const ScanResultSchema = z.object({
  interface: z.string(),
  address: z.string(),
  ports: z.array(z.object({ protocol: z.enum(['tcp', 'udp']), port: z.number().int(), state: z.string() })),
  ping: z.boolean(),
});
export type ScanResult = z.infer<typeof ScanResultSchema>;

export const IpcErrorSchema = z.object({
  code: z.enum(['access-denied', 'invalid-args', 'busy', 'failed', 'unavailable', 'protocol', 'not-in-lab', 'forbidden']),
  message: z.string(),
});
export type IpcError = z.infer<typeof IpcErrorSchema>;

/** Every invoke answers with a result value, so errors keep their code across the boundary. */
export type IpcResponse<T> = { ok: true; value: T } | { ok: false; error: IpcError };

const NoArgs = z.strictObject({});

// ---- channels ----------------------------------------------------------------------------

interface InvokeSpec<A extends z.ZodType, R extends z.ZodType> { args: A; result: R }
const invoke = <A extends z.ZodType, R extends z.ZodType>(args: A, result: R): InvokeSpec<A, R> => ({ args, result });

/** Renderer → main, answered. */
export const INVOKE = {
  'app:info': invoke(NoArgs, AppInfoSchema),
  'helper:state': invoke(NoArgs, HelperStateSchema),
  'helper:install': invoke(NoArgs, HelperStateSchema),
  'firewall:status': invoke(NoArgs, StatusSchema),
  'firewall:policy': invoke(NoArgs, PolicySchema),
  'firewall:sockets': invoke(z.strictObject({ listening: z.boolean() }), z.array(SocketEntrySchema)),
  'firewall:exposure': invoke(NoArgs, z.array(InterfaceExposureSchema)),
  'firewall:ruleset': invoke(NoArgs, z.object({ text: z.string() })),
  'firewall:networks': invoke(NoArgs, NetworksSchema),
  'firewall:prompts': invoke(NoArgs, z.array(PromptSchema)),
  'firewall:change': invoke(z.strictObject({ edits: z.array(PolicyEditSchema).min(1).max(1000), confirmWithin: z.number().int().min(5).max(600).optional() }), ChangeResultSchema),
  'firewall:import': invoke(z.strictObject({ policy: ValidPolicySchema }), ChangeResultSchema),
  'firewall:confirm': invoke(z.strictObject({ id: z.string().max(100) }), ChangeResultSchema),
  'firewall:answerPrompt': invoke(z.strictObject({ id: z.string().max(100), decision: PromptDecisionSchema }), ChangeResultSchema),
  'apps:describe': invoke(z.strictObject({ identities: z.array(AppIdentitySchema).max(10_000) }), z.array(AppDescriptionSchema)),
  'apps:installed': invoke(NoArgs, z.array(AppDescriptionSchema)),
  'settings:get': invoke(NoArgs, SettingsSchema),
  'settings:set': invoke(SettingsSchema.partial().strict(), SettingsSchema),
  'lab:scan': invoke(z.strictObject({ interface: z.string().max(15) }), ScanResultSchema),
  'firewall:dropLog': invoke(z.strictObject({ limit: z.number().int().min(1).max(10_000) }), z.array(DropEntrySchema)),
  'firewall:hitCounts': invoke(NoArgs, HitCountsSchema),
} as const;

/** Main → renderer, pushed. */
export const EVENTS = {
  'helper:state': HelperStateSchema,
  'firewall:status': StatusSchema,
  'firewall:listening': z.object({ added: z.array(SocketEntrySchema), removed: z.array(SocketEntrySchema) }),
  'firewall:prompt': PromptSchema,
  'firewall:promptClosed': z.object({ id: z.string() }),
  'firewall:newNetwork': ActiveNetworkSchema.extend({ key: z.string() }),
  'firewall:rolledBack': z.object({ id: z.string(), revision: z.number().int() }),
  'firewall:drops': z.array(DropEntrySchema),
  'settings:changed': SettingsSchema,
  'ui:navigate': z.object({ screen: z.enum(['overview', 'apps', 'rules', 'networks', 'activity', 'exposure', 'settings']), promptId: z.string().optional(), networkKey: z.string().optional() }),
} as const;

export type InvokeChannel = keyof typeof INVOKE;
export type InvokeArgs<C extends InvokeChannel> = z.input<(typeof INVOKE)[C]['args']>;
export type ParsedInvokeArgs<C extends InvokeChannel> = z.output<(typeof INVOKE)[C]['args']>;
export type InvokeResult<C extends InvokeChannel> = z.output<(typeof INVOKE)[C]['result']>;
export type EventChannel = keyof typeof EVENTS;
export type EventPayload<E extends EventChannel> = z.output<(typeof EVENTS)[E]>;
export type Screen = EventPayload<'ui:navigate'>['screen'];

export const INVOKE_CHANNELS = Object.keys(INVOKE) as InvokeChannel[];
export const EVENT_CHANNELS = Object.keys(EVENTS) as EventChannel[];

export function isInvokeChannel(value: unknown): value is InvokeChannel {
  return typeof value === 'string' && Object.hasOwn(INVOKE, value);
}

export function isEventChannel(value: unknown): value is EventChannel {
  return typeof value === 'string' && Object.hasOwn(EVENTS, value);
}

/** What the renderer sees: the preload (Electron) and the lab bridge both provide exactly this. */
export interface PalisadeApi {
  invoke<C extends InvokeChannel>(channel: C, args: InvokeArgs<C>): Promise<IpcResponse<InvokeResult<C>>>;
  on<E extends EventChannel>(event: E, listener: (payload: EventPayload<E>) => void): () => void;
}

/** The name the preload exposes the API under: `window.palisade`. */
export const API_GLOBAL = 'palisade';
