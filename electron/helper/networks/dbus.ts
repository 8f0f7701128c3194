// A small typed layer over dbus-next's low-level API (plain method calls and match rules), so the
// watcher reads properties with one GetAll per object instead of building introspected proxies,
// and every value it takes from the bus is checked before use (dbus-next types bodies as any[]).
import { DBusError, Message, MessageType, Variant, type MessageBus } from 'dbus-next';

export const DBUS_NAME = 'org.freedesktop.DBus';
const DBUS_PATH = '/org/freedesktop/DBus';
export const PROPERTIES_IFACE = 'org.freedesktop.DBus.Properties';

export interface MethodCall {
  destination: string;
  path: string;
  interface: string;
  member: string;
  signature?: string;
  body?: unknown[];
}

/** Calls a method; resolves with the reply's body (dbus-next rejects with a DBusError on an error reply). */
export async function callMethod(bus: MessageBus, call: MethodCall): Promise<unknown[]> {
  const reply = await bus.call(new Message({ ...call, signature: call.signature ?? '', body: call.body ?? [] }));
  const body: unknown = reply?.body;
  return Array.isArray(body) ? body : [];
}

/** Variants, also nested in dictionaries (a{sa{sv}}), replaced by their values. */
export function unwrapVariants(value: unknown): unknown {
  if (value instanceof Variant) return unwrapVariants(value.value);
  if (value !== null && typeof value === 'object' && !Array.isArray(value) && !Buffer.isBuffer(value)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unwrapVariants(v)]));
  }
  return value;
}

export type Properties = Record<string, unknown>;

export function asProperties(value: unknown): Properties {
  const plain = unwrapVariants(value);
  return plain !== null && typeof plain === 'object' && !Array.isArray(plain) && !Buffer.isBuffer(plain) ? plain as Properties : {};
}

export async function getAllProperties(bus: MessageBus, destination: string, path: string, iface: string): Promise<Properties> {
  const [dict] = await callMethod(bus, { destination, path, interface: PROPERTIES_IFACE, member: 'GetAll', signature: 's', body: [iface] });
  return asProperties(dict);
}

/** Readers that turn a property into the expected type, or undefined when it is something else. */
export const read = {
  string: (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined),
  boolean: (v: unknown): boolean | undefined => (typeof v === 'boolean' ? v : undefined),
  number: (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined),
  /** An object path, with "/" (D-Bus's "none") read as undefined. */
  objectPath: (v: unknown): string | undefined => (typeof v === 'string' && v !== '/' && v.startsWith('/') ? v : undefined),
  objectPaths: (v: unknown): string[] => (Array.isArray(v) ? v.filter((p): p is string => typeof p === 'string' && p !== '/' && p.startsWith('/')) : []),
  bytes: (v: unknown): Buffer | undefined => (Buffer.isBuffer(v) ? v : undefined),
};

/** The unique name that owns a well-known name, or undefined when nobody does. */
export async function nameOwner(bus: MessageBus, name: string): Promise<string | undefined> {
  try {
    const [owner] = await callMethod(bus, { destination: DBUS_NAME, path: DBUS_PATH, interface: DBUS_NAME, member: 'GetNameOwner', signature: 's', body: [name] });
    return read.string(owner);
  } catch (err) {
    if (err instanceof DBusError && err.type === 'org.freedesktop.DBus.Error.NameHasNoOwner') return undefined;
    throw err;
  }
}

export async function nameHasOwner(bus: MessageBus, name: string): Promise<boolean> {
  const [has] = await callMethod(bus, { destination: DBUS_NAME, path: DBUS_PATH, interface: DBUS_NAME, member: 'NameHasOwner', signature: 's', body: [name] });
  return has === true;
}

export function addMatch(bus: MessageBus, rule: string): Promise<unknown[]> {
  return callMethod(bus, { destination: DBUS_NAME, path: DBUS_PATH, interface: DBUS_NAME, member: 'AddMatch', signature: 's', body: [rule] });
}

export function removeMatch(bus: MessageBus, rule: string): Promise<unknown[]> {
  return callMethod(bus, { destination: DBUS_NAME, path: DBUS_PATH, interface: DBUS_NAME, member: 'RemoveMatch', signature: 's', body: [rule] });
}

export interface Signal {
  sender: string;
  path: string;
  interface: string;
  member: string;
  body: unknown[];
}

/** Subscribes to every signal the connection receives; returns the unsubscribe function. */
export function onSignal(bus: MessageBus, listener: (signal: Signal) => void): () => void {
  const handler = (msg: Message) => {
    if (msg.type !== MessageType.SIGNAL) return;
    const body: unknown = msg.body;
    listener({ sender: msg.sender, path: msg.path, interface: msg.interface, member: msg.member, body: Array.isArray(body) ? body : [] });
  };
  bus.on('message', handler);
  return () => { bus.removeListener('message', handler); };
}

/** The NameOwnerChanged signal for one name: its new owner, or undefined when the name was released. */
export function nameOwnerChange(signal: Signal, name: string): { owner: string | undefined } | undefined {
  if (signal.sender !== DBUS_NAME || signal.interface !== DBUS_NAME || signal.member !== 'NameOwnerChanged') return undefined;
  const [changed, , newOwner] = signal.body;
  if (changed !== name) return undefined;
  return { owner: read.string(newOwner) || undefined };
}

export const nameOwnerChangedRule = (name: string) => `type='signal',sender='${DBUS_NAME}',interface='${DBUS_NAME}',member='NameOwnerChanged',arg0='${name}'`;
export const propertiesChangedRule = (sender: string) => `type='signal',sender='${sender}',interface='${PROPERTIES_IFACE}',member='PropertiesChanged'`;
