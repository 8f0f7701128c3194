// The client side of org.palisade.Firewall1, for the CLI and the desktop app's main process.
// Calls and signals are typed from shared/dbus/contract.ts, and every answer is checked against
// the contract's schema before anyone uses it.
import dbus, { type MessageBus } from 'dbus-next';
import { connectSystemBus } from '../common/system-bus';
import type { z } from 'zod';
import {
  BUS_NAME, DBUS_ERRORS, INTERFACE_NAME, METHODS, OBJECT_PATH, SIGNALS,
  type MethodArgs, type MethodName, type MethodResult, type SignalName, type SignalPayload, type WireCodec,
} from '../../shared/dbus/contract';

const { Message, MessageType } = dbus;
const ALLOW_INTERACTIVE_AUTHORIZATION = 0x4;

export type FirewallErrorCode = 'access-denied' | 'invalid-args' | 'busy' | 'failed' | 'unavailable' | 'protocol';

export class FirewallError extends Error {
  constructor(readonly code: FirewallErrorCode, message: string, readonly dbusName?: string) {
    super(message);
    this.name = 'FirewallError';
  }
}

const CODES: Record<string, FirewallErrorCode> = {
  [DBUS_ERRORS.accessDenied]: 'access-denied',
  [DBUS_ERRORS.invalidArgs]: 'invalid-args',
  [DBUS_ERRORS.busy]: 'busy',
  [DBUS_ERRORS.failed]: 'failed',
  'org.freedesktop.DBus.Error.ServiceUnknown': 'unavailable',
  'org.freedesktop.DBus.Error.NameHasNoOwner': 'unavailable',
  'org.freedesktop.DBus.Error.NoReply': 'unavailable',
  'org.freedesktop.DBus.Error.InteractiveAuthorizationRequired': 'access-denied',
};

function toFirewallError(err: unknown): FirewallError {
  if (err instanceof FirewallError) return err;
  const e = err as { type?: string; text?: string; message?: string };
  const name = e.type ?? '';
  const code = CODES[name] ?? (name === DBUS_ERRORS.unknownMethod ? 'protocol' : 'failed');
  const text = e.text ?? e.message ?? String(err);
  if (code === 'unavailable') return new FirewallError(code, `the Palisade helper (${BUS_NAME}) is not running: ${text}`, name);
  return new FirewallError(code, text, name || undefined);
}

export interface CallOptions {
  /** Let polkit ask for a password (an agent must be running for the caller's session). */
  interactive?: boolean;
  timeoutMs?: number;
}

export class FirewallClient {
  private readonly listeners = new Map<SignalName, Set<(payload: never) => void>>();
  private readonly ownerListeners = new Set<(present: boolean) => void>();
  private matching = false;

  private constructor(private readonly bus: MessageBus) {
    bus.on('message', (msg: InstanceType<typeof Message>) => this.onMessage(msg));
  }

  /** Connects to the system bus (DBUS_SYSTEM_BUS_ADDRESS is honoured) or to a given address. */
  static async connect(opts: { busAddress?: string } = {}): Promise<FirewallClient> {
    try {
      return new FirewallClient(await connectSystemBus(opts.busAddress));
    } catch (err) {
      throw new FirewallError('unavailable', (err as Error).message);
    }
  }

  async call<M extends MethodName>(method: M, args: MethodArgs<M>, opts: CallOptions = {}): Promise<MethodResult<M>> {
    const msg = new Message({
      destination: BUS_NAME, path: OBJECT_PATH, interface: INTERFACE_NAME, member: method,
      signature: 's', body: [JSON.stringify(args)],
      flags: opts.interactive ? ALLOW_INTERACTIVE_AUTHORIZATION : 0,
    });
    let reply: InstanceType<typeof Message> | null;
    try {
      reply = await withTimeout(this.bus.call(msg), opts.timeoutMs ?? (opts.interactive ? 300_000 : 30_000), method);
    } catch (err) {
      throw toFirewallError(err);
    }
    let json: unknown;
    try {
      json = JSON.parse(String(reply?.body[0]));
    } catch {
      throw new FirewallError('protocol', `${method}: the helper answered with something that is not JSON`);
    }
    // A method with a wire codec (ListSockets) answers in its compact form: that is what is
    // checked, then decoded into the result.
    const spec = METHODS[method];
    const wire = spec.wire as WireCodec<MethodResult<M>, unknown> | undefined;
    const parsed = (wire ? wire.schema : spec.result as z.ZodType).safeParse(json);
    if (!parsed.success) throw new FirewallError('protocol', `${method}: unexpected answer from the helper (${describeIssue(parsed.error.issues[0])}); are the app and the helper the same version?`);
    return wire ? wire.decode(parsed.data) : parsed.data as MethodResult<M>;
  }

  /** Subscribes to a signal; returns the function that unsubscribes. */
  async on<S extends SignalName>(signal: S, listener: (payload: SignalPayload<S>) => void): Promise<() => void> {
    if (!this.matching) {
      this.matching = true;
      await this.bus.call(new Message({
        destination: 'org.freedesktop.DBus', path: '/org/freedesktop/DBus', interface: 'org.freedesktop.DBus',
        member: 'AddMatch', signature: 's', body: [`type='signal',sender='${BUS_NAME}',interface='${INTERFACE_NAME}',path='${OBJECT_PATH}'`],
      }));
    }
    const set = this.listeners.get(signal) ?? new Set();
    set.add(listener as (payload: never) => void);
    this.listeners.set(signal, set);
    return () => { set.delete(listener as (payload: never) => void); };
  }

  /** Follows the helper's bus name: called with false when it goes away, true when it is back. */
  async watchHelper(listener: (present: boolean) => void): Promise<() => void> {
    if (!this.ownerListeners.size) {
      await this.bus.call(new Message({
        destination: 'org.freedesktop.DBus', path: '/org/freedesktop/DBus', interface: 'org.freedesktop.DBus',
        member: 'AddMatch', signature: 's', body: [`type='signal',sender='org.freedesktop.DBus',interface='org.freedesktop.DBus',member='NameOwnerChanged',arg0='${BUS_NAME}'`],
      }));
    }
    this.ownerListeners.add(listener);
    return () => { this.ownerListeners.delete(listener); };
  }

  private onMessage(msg: InstanceType<typeof Message>): void {
    if (msg.type === MessageType.SIGNAL && msg.sender === 'org.freedesktop.DBus' && msg.member === 'NameOwnerChanged' && msg.body[0] === BUS_NAME) {
      const present = Boolean(msg.body[2]);
      for (const listener of this.ownerListeners) listener(present);
      return;
    }
    if (msg.type !== MessageType.SIGNAL || msg.interface !== INTERFACE_NAME || msg.path !== OBJECT_PATH) return;
    const name = msg.member as SignalName;
    const set = this.listeners.get(name);
    if (!set?.size || !Object.hasOwn(SIGNALS, name)) return;
    let payload: unknown;
    try {
      payload = (SIGNALS[name] as z.ZodType).parse(JSON.parse(String(msg.body[0])));
    } catch {
      return; // A malformed signal is dropped rather than handed on.
    }
    for (const listener of set) listener(payload as never);
  }

  close(): void {
    this.bus.disconnect();
  }
}

/** The first problem zod found, with where it is when that is not the top of the document. */
function describeIssue(issue: z.core.$ZodIssue | undefined): string {
  if (!issue) return 'invalid';
  return issue.path.length ? `${issue.path.map(String).join('.')}: ${issue.message}` : issue.message;
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new FirewallError('unavailable', `${what}: the helper did not answer within ${Math.round(ms / 1000)} s`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
