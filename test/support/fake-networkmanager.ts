// A NetworkManager stand-in for tests: a dbus-next service that owns org.freedesktop.NetworkManager
// on a (private) bus and implements the documented D-Bus API subset Palisade reads
// (introspection/org.freedesktop.NetworkManager*.xml): the manager's ActiveConnections,
// PrimaryConnection and Devices; Connection.Active objects; Device and Device.Wireless objects;
// AccessPoints; Settings.Connection.GetSettings. Like NetworkManager it announces every property
// change with org.freedesktop.DBus.Properties.PropertiesChanged. The interface names are written
// out here, not imported from the watcher, so a typo on either side shows up as a failing test.
import { interface as dbusInterface, NameFlag, RequestNameReply, Variant, sessionBus, type MessageBus } from 'dbus-next';

const NM = 'org.freedesktop.NetworkManager';
const NM_PATH = '/org/freedesktop/NetworkManager';
const NONE = '/';

/** NMActiveConnectionState, NMDeviceState, NMDeviceType, NMState: the values this stand-in uses. */
const ACTIVE_STATE = { activated: 2, deactivating: 3 };
const DEVICE_STATE = { disconnected: 30, activated: 100 };
const DEVICE_TYPE = { ethernet: 1, wifi: 2 };
const NM_STATE = { disconnected: 20, connectedGlobal: 70 };

export type FakeConnectionType = '802-3-ethernet' | '802-11-wireless';

export interface FakeConnection {
  uuid: string;
  /** The connection's name (NetworkManager's "Id"). */
  id: string;
  type: FakeConnectionType;
  /** Interface name of the device, e.g. eth0 or wlan0. */
  iface: string;
  /** Wi-Fi only. */
  ssid?: string;
  /** Wi-Fi only: the access point's MAC; NetworkManager reports it in upper case. */
  bssid?: string;
  /** Make it the primary connection (the one with the default route) at once. */
  primary?: boolean;
}

/** Connections the system tests and benchmarks join: two Wi-Fi networks and a wired LAN. */
export const SAMPLE_CONNECTIONS = {
  HOME: { uuid: '3f1c2a9e-7b64-4d2e-9c1a-5e8f0b7d6a01', id: 'Home Wi-Fi', type: '802-11-wireless', ssid: 'HomeNet', bssid: 'AA:BB:CC:00:00:01' },
  CAFE: { uuid: '8d2e4b71-0c3a-4f59-a6e2-91b7c5d3f802', id: 'Café Wi-Fi', type: '802-11-wireless', ssid: 'CafeNet', bssid: 'AA:BB:CC:00:11:22' },
  OFFICE: { uuid: '5b9d0e3c-2a17-4c88-8f4e-0d6a7b1c9e23', id: 'Office LAN', type: '802-3-ethernet' },
} as const;

export interface FakeNetworkManager {
  /** Activates a connection (created on first use, like a saved profile); returns the Connection.Active path. */
  activate(connection: FakeConnection): string;
  /** Deactivates and removes the active connection with this UUID. */
  deactivate(uuid: string): void;
  /** Moves the default route (PrimaryConnection, Default, Default6) to this connection, or to none. */
  setPrimary(uuid: string | undefined): void;
  /** A Wi-Fi connection moves to another access point of the same network. */
  roam(uuid: string, bssid: string): void;
  /** Releases the name (clients see NetworkManager go away) and disconnects. */
  stop(): Promise<void>;
}

/** An exported interface whose properties are plain values; update() changes them and announces it. */
class PropertyInterface extends dbusInterface.Interface {
  constructor(name: string, private readonly values: Record<string, unknown>) {
    super(name);
  }

  value(property: string): unknown {
    return this.values[property];
  }

  update(changes: Record<string, unknown>): void {
    const changed = Object.fromEntries(Object.entries(changes).filter(([k, v]) => this.values[k] !== v && JSON.stringify(this.values[k]) !== JSON.stringify(v)));
    if (Object.keys(changed).length === 0) return;
    Object.assign(this.values, changed);
    dbusInterface.Interface.emitPropertiesChanged(this, changed, []);
  }
}

/** A PropertyInterface subclass serving the given properties (name → D-Bus signature), read-only. */
function propertyInterface(name: string, signatures: Record<string, string>) {
  class Defined extends PropertyInterface {
    constructor(values: Record<string, unknown>) {
      super(name, values);
    }
  }
  // dbus-next reads a property as `iface[name]`.
  for (const property of Object.keys(signatures)) {
    Object.defineProperty(Defined.prototype, property, { get(this: PropertyInterface) { return this.value(property); } });
  }
  Defined.configureMembers({
    properties: Object.fromEntries(Object.entries(signatures).map(([k, signature]) => [k, { signature, access: dbusInterface.ACCESS_READ }])),
  });
  return Defined;
}

const Manager = propertyInterface(NM, {
  Devices: 'ao', AllDevices: 'ao', ActiveConnections: 'ao', PrimaryConnection: 'o', PrimaryConnectionType: 's', State: 'u', Version: 's',
});
const ActiveConnection = propertyInterface(`${NM}.Connection.Active`, {
  Connection: 'o', SpecificObject: 'o', Id: 's', Uuid: 's', Type: 's', Devices: 'ao', State: 'u', Default: 'b', Default6: 'b', Vpn: 'b',
});
const Device = propertyInterface(`${NM}.Device`, {
  Interface: 's', IpInterface: 's', DeviceType: 'u', State: 'u', ActiveConnection: 'o', HwAddress: 's',
});
const WirelessDevice = propertyInterface(`${NM}.Device.Wireless`, { ActiveAccessPoint: 'o', AccessPoints: 'ao' });
const AccessPoint = propertyInterface(`${NM}.AccessPoint`, { Ssid: 'ay', HwAddress: 's', Strength: 'y', Frequency: 'u' });

type SettingsDict = Record<string, Record<string, Variant>>;

class SettingsConnection extends dbusInterface.Interface {
  constructor(private readonly settings: SettingsDict) {
    super(`${NM}.Settings.Connection`);
  }

  GetSettings(): SettingsDict {
    return this.settings;
  }
}
SettingsConnection.configureMembers({ methods: { GetSettings: { outSignature: 'a{sa{sv}}' } } });

function settingsOf(c: FakeConnection): SettingsDict {
  const settings: SettingsDict = {
    connection: { id: new Variant('s', c.id), uuid: new Variant('s', c.uuid), type: new Variant('s', c.type), 'interface-name': new Variant('s', c.iface) },
    [c.type]: {},
  };
  if (c.type === '802-11-wireless') {
    settings[c.type] = { mode: new Variant('s', 'infrastructure'), ...(c.ssid !== undefined ? { ssid: new Variant('ay', Buffer.from(c.ssid, 'utf8')) } : {}) };
  }
  return settings;
}

interface DeviceObjects {
  path: string;
  device: PropertyInterface;
  wireless: PropertyInterface | undefined;
}

interface ActiveObjects {
  path: string;
  connection: FakeConnection;
  active: PropertyInterface;
  device: DeviceObjects;
}

class FakeNetworkManagerService implements FakeNetworkManager {
  private readonly manager = new Manager({
    Devices: [], AllDevices: [], ActiveConnections: [], PrimaryConnection: NONE, PrimaryConnectionType: '', State: NM_STATE.disconnected, Version: '1.46.0-palisade-fake',
  });
  private readonly devices = new Map<string, DeviceObjects>();
  private readonly settings = new Map<string, string>();
  private readonly active = new Map<string, ActiveObjects>();
  private sequence = 0;

  constructor(private readonly bus: MessageBus) {
    bus.export(NM_PATH, this.manager);
  }

  private nextPath(kind: string): string {
    return `${NM_PATH}/${kind}/${++this.sequence}`;
  }

  private exportNew(kind: string, iface: dbusInterface.Interface): string {
    const path = this.nextPath(kind);
    this.bus.export(path, iface);
    return path;
  }

  private deviceFor(c: FakeConnection): DeviceObjects {
    const type = c.type === '802-11-wireless' ? DEVICE_TYPE.wifi : DEVICE_TYPE.ethernet;
    const existing = this.devices.get(c.iface);
    if (existing) {
      if (existing.device.value('DeviceType') !== type) throw new Error(`fake NetworkManager: ${c.iface} is not a ${c.type} device`);
      return existing;
    }
    const path = this.nextPath('Devices');
    const device = new Device({ Interface: c.iface, IpInterface: '', DeviceType: type, State: DEVICE_STATE.disconnected, ActiveConnection: NONE, HwAddress: '52:54:00:00:00:01' });
    this.bus.export(path, device);
    const wireless = type === DEVICE_TYPE.wifi ? new WirelessDevice({ ActiveAccessPoint: NONE, AccessPoints: [] }) : undefined;
    if (wireless) this.bus.export(path, wireless);
    const objects = { path, device, wireless };
    this.devices.set(c.iface, objects);
    const all = [...this.devices.values()].map((d) => d.path);
    this.manager.update({ Devices: all, AllDevices: all });
    return objects;
  }

  private settingsFor(c: FakeConnection): string {
    const existing = this.settings.get(c.uuid);
    if (existing) return existing;
    const path = this.exportNew('Settings', new SettingsConnection(settingsOf(c)));
    this.settings.set(c.uuid, path);
    return path;
  }

  private accessPoint(c: FakeConnection, bssid: string): string {
    return this.exportNew('AccessPoint', new AccessPoint({ Ssid: Buffer.from(c.ssid ?? '', 'utf8'), HwAddress: bssid.toUpperCase(), Strength: 70, Frequency: 2437 }));
  }

  private activeOf(uuid: string): ActiveObjects {
    const found = this.active.get(uuid);
    if (!found) throw new Error(`fake NetworkManager: no active connection ${uuid}`);
    return found;
  }

  private publishActiveList(): void {
    const paths = [...this.active.values()].map((a) => a.path);
    this.manager.update({ ActiveConnections: paths, State: paths.length > 0 ? NM_STATE.connectedGlobal : NM_STATE.disconnected });
  }

  activate(connection: FakeConnection): string {
    if (this.active.has(connection.uuid)) throw new Error(`fake NetworkManager: ${connection.uuid} is already active`);
    const device = this.deviceFor(connection);
    if (device.device.value('ActiveConnection') !== NONE) throw new Error(`fake NetworkManager: ${connection.iface} already has an active connection`);
    const settingsPath = this.settingsFor(connection);
    const ap = device.wireless && connection.bssid !== undefined ? this.accessPoint(connection, connection.bssid) : NONE;
    const active = new ActiveConnection({
      Connection: settingsPath, SpecificObject: ap, Id: connection.id, Uuid: connection.uuid, Type: connection.type,
      Devices: [device.path], State: ACTIVE_STATE.activated, Default: false, Default6: false, Vpn: false,
    });
    const path = this.exportNew('ActiveConnection', active);
    this.active.set(connection.uuid, { path, connection, active, device });
    device.wireless?.update({ ActiveAccessPoint: ap, AccessPoints: ap === NONE ? [] : [ap] });
    device.device.update({ ActiveConnection: path, State: DEVICE_STATE.activated });
    this.publishActiveList();
    if (connection.primary) this.setPrimary(connection.uuid);
    return path;
  }

  deactivate(uuid: string): void {
    const { path, active, device } = this.activeOf(uuid);
    active.update({ State: ACTIVE_STATE.deactivating });
    this.active.delete(uuid);
    if (this.manager.value('PrimaryConnection') === path) this.setPrimary(undefined);
    device.wireless?.update({ ActiveAccessPoint: NONE });
    device.device.update({ ActiveConnection: NONE, State: DEVICE_STATE.disconnected });
    this.publishActiveList();
    this.bus.unexport(path, active);
  }

  setPrimary(uuid: string | undefined): void {
    const primary = uuid === undefined ? undefined : this.activeOf(uuid);
    for (const a of this.active.values()) a.active.update({ Default: a === primary, Default6: a === primary });
    this.manager.update({ PrimaryConnection: primary?.path ?? NONE, PrimaryConnectionType: primary?.connection.type ?? '' });
  }

  roam(uuid: string, bssid: string): void {
    const { connection, device } = this.activeOf(uuid);
    if (!device.wireless) throw new Error(`fake NetworkManager: ${uuid} is not a Wi-Fi connection`);
    const ap = this.accessPoint(connection, bssid);
    device.wireless.update({ ActiveAccessPoint: ap, AccessPoints: [ap] });
  }

  async stop(): Promise<void> {
    try {
      // Released before disconnecting, so the name is free (and clients told) when stop() resolves.
      await this.bus.releaseName(NM);
    } finally {
      // dbus-next answers a call that arrives after disconnect() by writing to the closed stream,
      // which throws from its event handler: claim every call from here on without answering.
      this.bus.addMethodHandler(() => true);
      this.bus.disconnect();
    }
  }
}

/** Connects to the bus at `busAddress`, takes NetworkManager's name and serves an empty NetworkManager. */
export async function startFakeNetworkManager(busAddress: string): Promise<FakeNetworkManager> {
  const bus = sessionBus({ busAddress });
  try {
    const reply = await bus.requestName(NM, NameFlag.DO_NOT_QUEUE);
    if (reply !== RequestNameReply.PRIMARY_OWNER) throw new Error(`fake NetworkManager: ${NM} is already owned on ${busAddress}`);
    return new FakeNetworkManagerService(bus);
  } catch (err) {
    bus.disconnect();
    throw err;
  }
}
