// The helper's D-Bus front door. Every call to org.palisade.Firewall1 goes through the same
// steps, driven by shared/dbus/contract.ts: one JSON string argument, parsed and validated
// against the method's schema; the caller checked with polkit for the method's action; the
// handler run; the result sent back as JSON (in its compact wire form, for a method with a wire
// codec). A refused or malformed call changes nothing, and no input can crash the helper.
import { readFile } from 'node:fs/promises';
import dbus, { type MessageBus } from 'dbus-next';
import type { z } from 'zod';
import {
  BUS_NAME, DBUS_ERRORS, INTERFACE_NAME, METHODS, OBJECT_PATH, POLKIT_ACTIONS, PROPERTIES, SIGNALS,
  type MethodName, type MethodResult, type ParsedArgs, type PropertyName, type SignalName, type SignalPayload, type WireCodec,
} from '../../../shared/dbus/contract';
import { introspectionXml, parentNodeXml } from '../../../shared/dbus/introspection';
import { formatPath } from '../../../shared/policy/validate';
import type { Authorizer } from './polkit';

const { Message, MessageType } = dbus;
const ACCESS_PHRASES = { read: 'read the firewall state', manage: 'change the firewall' } as const;

/** D-Bus header flag: the caller is prepared to wait for an authentication dialog. */
const ALLOW_INTERACTIVE_AUTHORIZATION = 0x4;

export interface Caller {
  /** Unique bus name of the caller (":1.42"). */
  sender: string;
}

export type Handlers = { [M in MethodName]: (args: ParsedArgs<M>, caller: Caller) => Promise<MethodResult<M>> };

/** An error a handler throws to answer with a specific D-Bus error name and a plain message. */
export class ServiceError extends Error {
  constructor(readonly dbusName: string, message: string) {
    super(message);
    this.name = 'ServiceError';
  }
}

export interface ServiceOptions {
  bus: MessageBus;
  authorizer: Authorizer;
  handlers: Handlers;
  properties: () => Record<PropertyName, string | number>;
  log?: (message: string) => void;
}

type DBusMessage = InstanceType<typeof Message>;

export class FirewallService {
  private readonly bus: MessageBus;
  private readonly log: (message: string) => void;
  private stopped = false;

  constructor(private readonly opts: ServiceOptions) {
    this.bus = opts.bus;
    this.log = opts.log ?? ((m) => console.error(m));
  }

  /** Starts answering calls, then takes the well-known name (so no call arrives unanswered). */
  async start(): Promise<void> {
    this.bus.addMethodHandler((msg: DBusMessage) => this.route(msg));
    const reply = await this.bus.requestName(BUS_NAME, dbus.NameFlag.DO_NOT_QUEUE);
    if (reply !== dbus.RequestNameReply.PRIMARY_OWNER && reply !== dbus.RequestNameReply.ALREADY_OWNER) {
      throw new Error(`could not take the bus name ${BUS_NAME}: another helper is running, or the bus policy does not allow it`);
    }
  }

  emit<S extends SignalName>(signal: S, payload: SignalPayload<S>): void {
    this.bus.send(Message.newSignal(OBJECT_PATH, INTERFACE_NAME, signal, 's', [JSON.stringify(payload)]));
  }

  propertiesChanged(names: PropertyName[]): void {
    const values = this.opts.properties();
    const changed = Object.fromEntries(names.map((n) => [n, new dbus.Variant(PROPERTIES[n].signature, values[n])]));
    this.bus.send(Message.newSignal(OBJECT_PATH, 'org.freedesktop.DBus.Properties', 'PropertiesChanged', 'sa{sv}as', [INTERFACE_NAME, changed, []]));
  }

  /**
   * Stops answering: every call is claimed and left unanswered, so none reaches dbus-next's own
   * default reply, which throws once the connection is closed. Call before disconnecting.
   */
  stop(): void {
    this.stopped = true;
  }

  /** Synchronous by dbus-next's contract: claim the message, answer it later. */
  private route(msg: DBusMessage): boolean {
    if (this.stopped) return true;
    if (msg.type !== MessageType.METHOD_CALL) return false;
    if (msg.path !== OBJECT_PATH) return this.routeParent(msg);
    this.answer(msg).catch((err: unknown) => {
      this.log(`palisaded: unexpected failure answering ${msg.member}: ${(err as Error).stack ?? String(err)}`);
      this.reply(Message.newError(msg as never, DBUS_ERRORS.failed, 'internal error in the helper; see its log'));
    });
    return true;
  }

  /** "/", "/org", "/org/palisade": introspectable, so the object can be found. */
  private routeParent(msg: DBusMessage): boolean {
    const parents: Record<string, string> = { '/': 'org', '/org': 'palisade', '/org/palisade': 'Firewall1' };
    const child = parents[msg.path];
    if (child === undefined || msg.interface !== 'org.freedesktop.DBus.Introspectable' || msg.member !== 'Introspect') return false;
    this.reply(Message.newMethodReturn(msg, 's', [parentNodeXml(child)]));
    return true;
  }

  private reply(msg: DBusMessage): void {
    try {
      this.bus.send(msg);
    } catch (err) {
      this.log(`palisaded: could not send a reply: ${(err as Error).message}`);
    }
  }

  private fail(msg: DBusMessage, name: string, text: string): void {
    this.reply(Message.newError(msg as never, name, text));
  }

  private async authorize(msg: DBusMessage, access: 'read' | 'manage', what: string): Promise<boolean> {
    const interactive = (msg.flags & ALLOW_INTERACTIVE_AUTHORIZATION) !== 0;
    const result = await this.opts.authorizer.check(msg.sender, POLKIT_ACTIONS[access], interactive);
    if (result.authorized) return true;
    const how = result.challenge ? 'authentication as an administrator is required and was not given' : 'the system policy does not allow it';
    this.fail(msg, DBUS_ERRORS.accessDenied, `not authorized to ${what}: ${how} (polkit action ${POLKIT_ACTIONS[access]})`);
    return false;
  }

  private async answer(msg: DBusMessage): Promise<void> {
    switch (msg.interface) {
      case 'org.freedesktop.DBus.Introspectable':
        if (msg.member === 'Introspect') return this.reply(Message.newMethodReturn(msg, 's', [introspectionXml()]));
        break;
      case 'org.freedesktop.DBus.Peer':
        if (msg.member === 'Ping') return this.reply(Message.newMethodReturn(msg, '', []));
        if (msg.member === 'GetMachineId') return this.answerMachineId(msg);
        break;
      case 'org.freedesktop.DBus.Properties':
        return this.answerProperties(msg);
      case INTERFACE_NAME:
      case undefined:
      case '':
        if (Object.hasOwn(METHODS, msg.member)) return this.answerMethod(msg, msg.member as MethodName);
        break;
    }
    this.fail(msg, DBUS_ERRORS.unknownMethod, `no method ${msg.interface ? `${msg.interface}.` : ''}${msg.member} on ${OBJECT_PATH}`);
  }

  private async answerMachineId(msg: DBusMessage): Promise<void> {
    for (const file of ['/etc/machine-id', '/var/lib/dbus/machine-id']) {
      const id = await readFile(file, 'utf8').then((t) => t.trim(), () => '');
      if (/^[0-9a-f]{32}$/.test(id)) return this.reply(Message.newMethodReturn(msg, 's', [id]));
    }
    this.fail(msg, DBUS_ERRORS.failed, 'this machine has no machine id (/etc/machine-id)');
  }

  private async answerProperties(msg: DBusMessage): Promise<void> {
    const [iface, name] = msg.body as unknown[];
    if (!['Get', 'GetAll', 'Set'].includes(msg.member)) return this.fail(msg, DBUS_ERRORS.unknownMethod, `no method org.freedesktop.DBus.Properties.${msg.member}`);
    if (msg.member === 'Set') return this.fail(msg, DBUS_ERRORS.accessDenied, 'the properties of org.palisade.Firewall1 are read-only');
    if (typeof iface !== 'string' || (msg.member === 'Get' ? msg.signature !== 'ss' : msg.signature !== 's')) {
      return this.fail(msg, DBUS_ERRORS.invalidArgs, `Properties.${msg.member}: unexpected arguments (${msg.signature || 'none'})`);
    }
    if (iface !== INTERFACE_NAME) return this.fail(msg, DBUS_ERRORS.invalidArgs, `no interface ${iface} on ${OBJECT_PATH}`);
    if (!(await this.authorize(msg, 'read', ACCESS_PHRASES.read))) return;
    const values = this.opts.properties();
    const variant = (n: PropertyName) => new dbus.Variant(PROPERTIES[n].signature, values[n]);
    if (msg.member === 'GetAll') {
      return this.reply(Message.newMethodReturn(msg, 'a{sv}', [Object.fromEntries((Object.keys(PROPERTIES) as PropertyName[]).map((n) => [n, variant(n)]))]));
    }
    if (msg.member === 'Get') {
      if (typeof name !== 'string' || !Object.hasOwn(PROPERTIES, name)) return this.fail(msg, DBUS_ERRORS.invalidArgs, `no property ${String(name)}`);
      return this.reply(Message.newMethodReturn(msg, 'v', [variant(name as PropertyName)]));
    }
  }

  private async answerMethod<M extends MethodName>(msg: DBusMessage, name: M): Promise<void> {
    const spec = METHODS[name];
    if (msg.signature !== 's') {
      return this.fail(msg, DBUS_ERRORS.invalidArgs, `${name} takes one JSON string argument (signature "s"), not "${msg.signature}"`);
    }
    let json: unknown;
    try {
      json = JSON.parse(msg.body[0] as string);
    } catch (err) {
      return this.fail(msg, DBUS_ERRORS.invalidArgs, `${name}: the argument is not valid JSON (${(err as Error).message})`);
    }
    const parsed = (spec.args as z.ZodType).safeParse(json);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((i) => `${formatPath(i.path) || '(arguments)'}: ${i.message}`).join('; ');
      return this.fail(msg, DBUS_ERRORS.invalidArgs, `${name}: ${issues}`);
    }
    if (!(await this.authorize(msg, spec.access, ACCESS_PHRASES[spec.access]))) return;
    try {
      const result = await this.opts.handlers[name](parsed.data as ParsedArgs<M>, { sender: msg.sender });
      // A method with a wire codec (ListSockets) sends its compact form; the client decodes it.
      const wire = spec.wire as WireCodec<MethodResult<M>, unknown> | undefined;
      this.reply(Message.newMethodReturn(msg, 's', [JSON.stringify(wire ? wire.encode(result) : result)]));
    } catch (err) {
      if (err instanceof ServiceError) return this.fail(msg, err.dbusName, err.message);
      throw err;
    }
  }
}

/** Signals in the contract: exported so tests can check the service emits only known ones. */
export const SIGNAL_NAMES = Object.keys(SIGNALS) as SignalName[];
