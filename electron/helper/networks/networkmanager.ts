// The network watcher with NetworkManager, over its documented D-Bus API (introspection/
// org.freedesktop.NetworkManager*.xml): the active connections, each identified by its connection
// UUID, plus SSID and BSSID on Wi-Fi. Any relevant PropertiesChanged, or NetworkManager leaving or
// coming back, leads to one fresh read of the whole picture, which is small.
import { DBusError, type MessageBus } from 'dbus-next';
import type { ActiveNetwork } from '../../../shared/runtime/networks';
import type { NetworkIdentity } from '../../../shared/policy/schema';
import {
  PROPERTIES_IFACE, addMatch, asProperties, callMethod, getAllProperties, nameOwner, nameOwnerChange,
  nameOwnerChangedRule, onSignal, propertiesChangedRule, read, removeMatch, type Signal,
} from './dbus';
import { NetworkListEmitter } from './publisher';
import type { NetworkWatcher } from './watcher';

export const NM_BUS_NAME = 'org.freedesktop.NetworkManager';
export const NM_PATH = '/org/freedesktop/NetworkManager';
export const NM_IFACE = {
  manager: NM_BUS_NAME,
  active: `${NM_BUS_NAME}.Connection.Active`,
  device: `${NM_BUS_NAME}.Device`,
  wireless: `${NM_BUS_NAME}.Device.Wireless`,
  accessPoint: `${NM_BUS_NAME}.AccessPoint`,
  settingsConnection: `${NM_BUS_NAME}.Settings.Connection`,
} as const;

/** NM_ACTIVE_CONNECTION_STATE_ACTIVATED: before that the network is not settled yet (Public meanwhile). */
const ACTIVATED = 2;
const WIFI_TYPE = '802-11-wireless';

/** The property changes that can change the list, per interface; the rest (statistics, strength…) cannot. */
const RELEVANT: Record<string, ReadonlySet<string>> = {
  [NM_IFACE.manager]: new Set(['ActiveConnections', 'PrimaryConnection']),
  [NM_IFACE.active]: new Set(['State', 'Default', 'Default6', 'Devices', 'Id', 'Uuid', 'Type', 'Connection', 'Vpn']),
  [NM_IFACE.device]: new Set(['Interface', 'IpInterface']),
  [NM_IFACE.wireless]: new Set(['ActiveAccessPoint']),
};

/** Errors that mean an object went away between two calls: NetworkManager is changing, read again. */
const VANISHED = new Set([
  'org.freedesktop.DBus.Error.UnknownObject',
  'org.freedesktop.DBus.Error.UnknownMethod',
  'org.freedesktop.DBus.Error.UnknownInterface',
  'org.freedesktop.DBus.Error.InvalidArgs',
  'org.freedesktop.DBus.Error.ServiceUnknown',
  'org.freedesktop.DBus.Error.NameHasNoOwner',
]);
const vanished = (err: unknown) => err instanceof DBusError && VANISHED.has(err.type);

function normaliseMac(text: string | undefined): string | undefined {
  const mac = text?.toLowerCase();
  return mac !== undefined && /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/.test(mac) ? mac : undefined;
}

/** SSIDs are bytes, usually UTF-8; anything else is shown with replacement characters. */
const decodeSsid = (bytes: Buffer) => new TextDecoder('utf-8').decode(bytes);

/** Reads NetworkManager's picture of the active networks from one owner of its name. */
class SnapshotReader {
  constructor(private readonly bus: MessageBus, private readonly owner: string) {}

  private props(path: string, iface: string) {
    return getAllProperties(this.bus, this.owner, path, iface);
  }

  async read(): Promise<ActiveNetwork[]> {
    const manager = await this.props(NM_PATH, NM_IFACE.manager);
    const primaryPath = read.objectPath(manager.PrimaryConnection);
    const activePaths = read.objectPaths(manager.ActiveConnections);
    const perConnection = await Promise.all(activePaths.map((path) => this.activeConnection(path, path === primaryPath)));
    return perConnection.flat();
  }

  private async activeConnection(path: string, isPrimary: boolean): Promise<ActiveNetwork[]> {
    const ac = await this.props(path, NM_IFACE.active);
    const uuid = read.string(ac.Uuid)?.toLowerCase();
    const type = read.string(ac.Type);
    // VPNs ride on another connection's device (or a tunnel NM does not list as theirs), and the
    // loopback connection is never filtered: neither is a network an interface joins.
    if (!uuid || read.number(ac.State) !== ACTIVATED || read.boolean(ac.Vpn) === true || type === 'loopback') {
      return [];
    }
    const wifi = type === WIFI_TYPE;
    const devicePaths = read.objectPaths(ac.Devices);
    const [ssid, devices] = await Promise.all([
      wifi ? this.ssid(read.objectPath(ac.Connection)) : undefined,
      Promise.all(devicePaths.map((d) => this.device(d, wifi))),
    ]);
    // NetworkManager's primary connection carries the default route; Default/Default6 say the same per family.
    const primary = isPrimary || read.boolean(ac.Default) === true || read.boolean(ac.Default6) === true;
    const name = read.string(ac.Id) || ssid || uuid;
    return devices.flatMap(({ iface, bssid }): ActiveNetwork[] => {
      if (!iface) return [];
      const identity: NetworkIdentity = { kind: 'networkmanager', uuid, ...(ssid !== undefined ? { ssid } : {}), ...(bssid !== undefined ? { bssid } : {}) };
      return [{ interface: iface, identity, name, primary }];
    });
  }

  /** The interface traffic is filtered on (IpInterface: ppp0 rather than the modem), and the BSSID on Wi-Fi. */
  private async device(path: string, wifi: boolean): Promise<{ iface: string | undefined; bssid: string | undefined }> {
    const dev = await this.props(path, NM_IFACE.device);
    const iface = read.string(dev.IpInterface) || read.string(dev.Interface) || undefined;
    if (!wifi) return { iface, bssid: undefined };
    const wireless = await this.props(path, NM_IFACE.wireless);
    const ap = read.objectPath(wireless.ActiveAccessPoint);
    const bssid = ap ? normaliseMac(read.string((await this.props(ap, NM_IFACE.accessPoint)).HwAddress)) : undefined;
    return { iface, bssid };
  }

  /**
   * The SSID from the connection's settings (802-11-wireless.ssid, bytes). The UUID alone already
   * identifies the network, so settings that cannot be read (a policy denying it) cost only the SSID.
   */
  private async ssid(settingsPath: string | undefined): Promise<string | undefined> {
    if (!settingsPath) return undefined;
    let settings: unknown;
    try {
      [settings] = await callMethod(this.bus, { destination: this.owner, path: settingsPath, interface: NM_IFACE.settingsConnection, member: 'GetSettings' });
    } catch (err) {
      if (vanished(err)) throw err;
      return undefined;
    }
    const bytes = read.bytes(asProperties(asProperties(settings)[WIFI_TYPE]).ssid);
    return bytes && bytes.length > 0 ? decodeSsid(bytes) : undefined;
  }
}

export class NetworkManagerWatcher extends NetworkListEmitter implements NetworkWatcher {
  readonly kind = 'networkmanager' as const;
  /** NetworkManager's unique name on the bus while it runs; signals from anyone else are ignored. */
  private owner: string | undefined;
  private unsubscribe: (() => void) | undefined;
  private readonly rules = [nameOwnerChangedRule(NM_BUS_NAME), propertiesChangedRule(NM_BUS_NAME)];

  constructor(private readonly bus: MessageBus) {
    super();
  }

  async start(): Promise<void> {
    if (this.unsubscribe) return;
    this.stopped = false;
    // Subscribed before the first read, so no change between the two is missed.
    this.unsubscribe = onSignal(this.bus, (signal) => this.onSignal(signal));
    await Promise.all(this.rules.map((rule) => addMatch(this.bus, rule)));
    this.owner = await nameOwner(this.bus, NM_BUS_NAME);
    await this.refresh();
  }

  async stop(): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    await this.settle();
    await Promise.allSettled(this.rules.map((rule) => removeMatch(this.bus, rule)));
  }

  private onSignal(signal: Signal): void {
    const ownerChange = nameOwnerChange(signal, NM_BUS_NAME);
    if (ownerChange) {
      this.owner = ownerChange.owner;
      void this.refresh();
      return;
    }
    // Judged by interface and property, not by object: an object met for the first time (a new
    // active connection) may change before the read that would list it has finished.
    if (signal.sender !== this.owner || signal.interface !== PROPERTIES_IFACE || signal.member !== 'PropertiesChanged') return;
    const [iface, changed, invalidated] = signal.body;
    const relevant = typeof iface === 'string' ? RELEVANT[iface] : undefined;
    const names: unknown[] = [...Object.keys(asProperties(changed)), ...(Array.isArray(invalidated) ? invalidated : [])];
    if (relevant && names.some((n) => typeof n === 'string' && relevant.has(n))) void this.refresh();
  }

  protected async read(): Promise<ActiveNetwork[] | undefined> {
    const owner = this.owner;
    if (!owner) return [];
    try {
      const networks = await new SnapshotReader(this.bus, owner).read();
      // A new owner arrived meanwhile: its own read is already queued.
      return owner === this.owner ? networks : undefined;
    } catch (err) {
      if (!vanished(err)) throw err;
      // Read while NetworkManager was changing: keep the last list; the change's own signal, or the retry, reads again.
      this.retryLater();
      return undefined;
    }
  }
}
