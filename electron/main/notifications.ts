// Desktop notifications that ask something: "Palisade blocked some features of <app>" with
// Allow on Private / Allow on Public / Keep blocked, and "Is <network> a private network?".
//
// Electron's Notification has no action buttons on Linux, so DesktopNotifier talks to the
// desktop's notification server itself (org.freedesktop.Notifications on the session bus, the
// Desktop Notifications Specification 1.2). Servers without the "actions" capability get a
// plain notification whose click (the "default" action) opens the window instead.
//
// NotificationRouter turns the helper's signals into notifications and the buttons into helper
// calls. An answer that fails (not authorised, helper gone) opens the window on the screen
// where the question can be answered, rather than failing where nobody sees it.
import { EventEmitter } from 'node:events';
import dbus, { type MessageBus } from 'dbus-next';
import type { EventPayload } from '../../shared/ipc/contract';
import type { MethodArgs, SignalPayload } from '../../shared/dbus/contract';
import type { HelperConnection, HelperSignal } from './helper-connection';
import type { SettingsPort } from './ports';
import type { ProfileName } from '../../shared/policy/schema';
import { mainText, type MainLanguage } from './strings';

const { Message, MessageType, Variant } = dbus;

const NOTIFICATIONS = {
  name: 'org.freedesktop.Notifications',
  path: '/org/freedesktop/Notifications',
  interface: 'org.freedesktop.Notifications',
} as const;

const URGENCY = { low: 0, normal: 1, critical: 2 } as const;

/** The action key servers send when the notification itself is clicked. */
export const DEFAULT_ACTION = 'default';

export interface DesktopNotification {
  summary: string;
  body: string;
  /** An icon name from the theme, or a file path. */
  icon?: string;
  /** Buttons, in order; `default` is the click on the notification and shows no button. */
  actions: { key: string; label: string }[];
  urgency?: 'low' | 'normal' | 'critical';
  /** Stay until answered, for questions (servers may still expire it). */
  persistent?: boolean;
}

export class DesktopNotifier extends EventEmitter<{ action: [number, string]; closed: [number] }> {
  private capabilities: Promise<string[]> | undefined;
  private subscribed: Promise<void> | undefined;
  /** Our notifications: the server signals everyone's actions to everyone. */
  private readonly ours = new Set<number>();
  private readonly onMessage = (msg: InstanceType<typeof Message>) => this.handle(msg);

  constructor(private readonly bus: MessageBus, private readonly opts: { appName?: string; desktopEntry?: string } = {}) {
    super();
    bus.on('message', this.onMessage);
  }

  /** Whether a notification server answers on the session bus. */
  async available(): Promise<boolean> {
    try {
      await this.serverCapabilities();
      return true;
    } catch {
      return false;
    }
  }

  /** Whether the server shows action buttons. */
  async supportsActions(): Promise<boolean> {
    return this.serverCapabilities().then((caps) => caps.includes('actions'), () => false);
  }

  async notify(n: DesktopNotification): Promise<number> {
    await this.subscribe();
    const actions = (await this.supportsActions()) ? n.actions : n.actions.filter((a) => a.key === DEFAULT_ACTION);
    const hints = {
      urgency: new Variant('y', URGENCY[n.urgency ?? 'normal']),
      ...(this.opts.desktopEntry ? { 'desktop-entry': new Variant('s', this.opts.desktopEntry) } : {}),
    };
    const reply = await this.call('Notify', 'susssasa{sv}i', [
      this.opts.appName ?? 'Palisade', 0, n.icon ?? '', n.summary, n.body,
      actions.flatMap((a) => [a.key, a.label]), hints, n.persistent ? 0 : -1,
    ]);
    const id = reply?.body[0];
    if (typeof id !== 'number') throw new Error('the notification server answered Notify without an id');
    this.ours.add(id);
    return id;
  }

  /** Closes one of our notifications; one that is gone already is no error. */
  async close(id: number): Promise<void> {
    if (!this.ours.has(id)) return;
    await this.call('CloseNotification', 'u', [id]).catch(() => undefined);
  }

  dispose(): void {
    this.bus.off('message', this.onMessage);
  }

  private serverCapabilities(): Promise<string[]> {
    // Only an answer is remembered: a server that is not running yet may be started later.
    this.capabilities ??= this.call('GetCapabilities', '', []).then(
      (reply) => (Array.isArray(reply?.body[0]) ? (reply.body[0] as unknown[]).filter((c): c is string => typeof c === 'string') : []),
      (err: unknown) => {
        this.capabilities = undefined;
        throw err;
      },
    );
    return this.capabilities;
  }

  private subscribe(): Promise<void> {
    this.subscribed ??= this.bus.call(new Message({
      destination: 'org.freedesktop.DBus', path: '/org/freedesktop/DBus', interface: 'org.freedesktop.DBus', member: 'AddMatch', signature: 's',
      body: [`type='signal',sender='${NOTIFICATIONS.name}',interface='${NOTIFICATIONS.interface}',path='${NOTIFICATIONS.path}'`],
    })).then(() => undefined, (err: unknown) => {
      this.subscribed = undefined;
      throw err;
    });
    return this.subscribed;
  }

  private call(member: string, signature: string, body: unknown[]): Promise<InstanceType<typeof Message> | null> {
    return this.bus.call(new Message({ destination: NOTIFICATIONS.name, path: NOTIFICATIONS.path, interface: NOTIFICATIONS.interface, member, signature, body }));
  }

  private handle(msg: InstanceType<typeof Message>): void {
    if (msg.type !== MessageType.SIGNAL || msg.interface !== NOTIFICATIONS.interface || msg.path !== NOTIFICATIONS.path) return;
    const [id, detail] = msg.body as unknown[];
    if (typeof id !== 'number' || !this.ours.has(id)) return;
    if (msg.member === 'ActionInvoked' && typeof detail === 'string') this.emit('action', id, detail);
    if (msg.member === 'NotificationClosed') {
      this.ours.delete(id);
      this.emit('closed', id);
    }
  }
}

// ---- the router -----------------------------------------------------------------------------

/** What the router needs from a notifier (DesktopNotifier, or a stand-in). */
export interface NotifierPort {
  notify(n: DesktopNotification): Promise<number>;
  close(id: number): Promise<void>;
  supportsActions(): Promise<boolean>;
  on(event: 'action', listener: (id: number, key: string) => void): unknown;
  on(event: 'closed', listener: (id: number) => void): unknown;
  off(event: 'action', listener: (id: number, key: string) => void): unknown;
  off(event: 'closed', listener: (id: number) => void): unknown;
}

/** What the router needs from the helper connection (HelperConnection, or a stand-in). */
export interface HelperPort {
  call: HelperConnection['call'];
  on(event: 'signal', listener: (signal: HelperSignal) => void): unknown;
  off(event: 'signal', listener: (signal: HelperSignal) => void): unknown;
}

// The real implementations fit the ports: this line stops compiling if they drift apart.
type Fits<T, Port> = T extends Port ? true : false;
export const implementationsFitTheirPorts: [Fits<DesktopNotifier, NotifierPort>, Fits<HelperConnection, HelperPort>] = [true, true];

export interface NotificationRouterDeps {
  notifier: NotifierPort;
  helper: HelperPort;
  settings: SettingsPort;
  language: () => MainLanguage;
  openWindow: (nav: EventPayload<'ui:navigate'>) => void;
  /** The icon notifications show: a theme icon name or a file path. */
  icon?: string;
}

/** What a notification on screen asks about. */
type Question = { kind: 'prompt'; promptId: string } | { kind: 'network'; key: string };

const PROMPT_ANSWERS: Record<string, MethodArgs<'AnswerPrompt'>['decision']> = {
  'allow-private': { action: 'allow', profiles: ['private'] },
  'allow-public': { action: 'allow', profiles: ['public'] },
  'keep-blocked': { action: 'block' },
};

const NETWORK_ANSWERS: Record<string, ProfileName> = { 'yes-private': 'private', 'no-public': 'public' };

/** Changes ask for an administrator password through the desktop's polkit agent when needed. */
const INTERACTIVE = { interactive: true } as const;

export class NotificationRouter {
  /** Notification id → its question. */
  private readonly questions = new Map<number, Question>();
  /** Prompt id / network key → the notification asking about it (pending while Notify runs). */
  private readonly prompts = new Map<string, Promise<number | undefined>>();
  private readonly networks = new Map<string, Promise<number | undefined>>();
  private started = false;

  private readonly onSignal = (signal: HelperSignal) => {
    switch (signal.name) {
      case 'NewAppPrompt': return void this.askAboutApp(signal.payload);
      case 'PromptClosed': return this.withdraw(this.prompts, signal.payload.id);
      case 'NewNetwork': return void this.askAboutNetwork(signal.payload);
      default: return undefined;
    }
  };

  private readonly onAction = (id: number, key: string) => this.answer(id, key);
  private readonly onClosed = (id: number) => this.forget(id);

  constructor(private readonly deps: NotificationRouterDeps) {}

  start(): void {
    if (this.started) return;
    this.started = true;
    this.deps.helper.on('signal', this.onSignal);
    this.deps.notifier.on('action', this.onAction);
    this.deps.notifier.on('closed', this.onClosed);
  }

  /** Stops listening and takes down the questions still on screen: nobody would act on their buttons. */
  stop(): void {
    if (!this.started) return;
    this.started = false;
    this.deps.helper.off('signal', this.onSignal);
    this.deps.notifier.off('action', this.onAction);
    this.deps.notifier.off('closed', this.onClosed);
    for (const id of this.questions.keys()) void this.deps.notifier.close(id).catch(() => undefined);
    this.questions.clear();
    this.prompts.clear();
    this.networks.clear();
  }

  private async wanted(): Promise<boolean> {
    return (await this.deps.settings.get().catch(() => ({ notifications: true }))).notifications;
  }

  private async askAboutApp(prompt: SignalPayload<'NewAppPrompt'>): Promise<void> {
    if (this.prompts.has(prompt.id) || !(await this.wanted()) || !this.started) return;
    const lang = this.deps.language();
    const ports = [...new Set(prompt.ports.map((p) => `${p.protocol.toUpperCase()} ${p.port}`))].join(mainText(lang, 'list.separator'));
    const buttons = await this.deps.notifier.supportsActions();
    this.show(this.prompts, prompt.id, { kind: 'prompt', promptId: prompt.id }, {
      summary: mainText(lang, 'prompt.title', { app: prompt.name }),
      body: mainText(lang, buttons ? 'prompt.body' : 'prompt.bodyOpen', { ports }),
      actions: [
        { key: 'allow-private', label: mainText(lang, 'prompt.allowPrivate') },
        { key: 'allow-public', label: mainText(lang, 'prompt.allowPublic') },
        { key: 'keep-blocked', label: mainText(lang, 'prompt.keepBlocked') },
        { key: DEFAULT_ACTION, label: mainText(lang, 'tray.open') },
      ],
      persistent: true,
    });
  }

  private async askAboutNetwork(network: SignalPayload<'NewNetwork'>): Promise<void> {
    if (this.networks.has(network.key) || !(await this.wanted()) || !this.started) return;
    const lang = this.deps.language();
    const buttons = await this.deps.notifier.supportsActions();
    this.show(this.networks, network.key, { kind: 'network', key: network.key }, {
      summary: mainText(lang, 'network.title', { network: network.name }),
      body: mainText(lang, buttons ? 'network.body' : 'network.bodyOpen'),
      actions: [
        { key: 'yes-private', label: mainText(lang, 'network.yes') },
        { key: 'no-public', label: mainText(lang, 'network.no') },
        { key: DEFAULT_ACTION, label: mainText(lang, 'tray.open') },
      ],
      persistent: true,
    });
  }

  private show(open: Map<string, Promise<number | undefined>>, subject: string, question: Question, n: DesktopNotification): void {
    const shown = this.deps.notifier.notify({ ...n, ...(this.deps.icon !== undefined ? { icon: this.deps.icon } : {}) }).then(
      (id) => {
        this.questions.set(id, question);
        return id;
      },
      () => {
        // No notification server: the window (and the renderer's own dialog) still asks.
        open.delete(subject);
        return undefined;
      },
    );
    open.set(subject, shown);
  }

  /** The question was settled elsewhere (the window, the CLI, another client): take it down. */
  private withdraw(open: Map<string, Promise<number | undefined>>, subject: string): void {
    const shown = open.get(subject);
    if (!shown) return;
    open.delete(subject);
    void shown.then((id) => {
      if (id === undefined) return;
      this.questions.delete(id);
      return this.deps.notifier.close(id);
    }).catch(() => undefined);
  }

  private forget(id: number): void {
    const question = this.questions.get(id);
    if (!question) return;
    this.questions.delete(id);
    if (question.kind === 'prompt') this.prompts.delete(question.promptId);
    else this.networks.delete(question.key);
  }

  private answer(id: number, key: string): void {
    const question = this.questions.get(id);
    if (!question) return;
    // One answer per question: the server usually closes it now, but a second click must not count.
    this.forget(id);
    const nav: EventPayload<'ui:navigate'> = question.kind === 'prompt'
      ? { screen: 'apps', promptId: question.promptId }
      : { screen: 'networks', networkKey: question.key };
    const call = this.helperCallFor(question, key);
    if (!call) {
      this.deps.openWindow(nav);
      return;
    }
    void call().catch(() => this.deps.openWindow(nav));
  }

  private helperCallFor(question: Question, key: string): (() => Promise<unknown>) | undefined {
    if (question.kind === 'prompt') {
      const decision = PROMPT_ANSWERS[key];
      return decision && (() => this.deps.helper.call('AnswerPrompt', { id: question.promptId, decision }, INTERACTIVE));
    }
    const profile = NETWORK_ANSWERS[key];
    return profile && (() => this.deps.helper.call('ChangePolicy', { edits: [{ op: 'setNetworkProfile', network: question.key, profile }] }, INTERACTIVE));
  }
}
