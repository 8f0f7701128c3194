// The helper's view of which networks the machine is on, per interface, so each interface can get
// its network's profile. NetworkManager knows the networks best (connection UUID, SSID, BSSID);
// without it the kernel's default gateways identify them.
import type { EventEmitter } from 'node:events';
import type { MessageBus } from 'dbus-next';
import type { ActiveNetwork } from '../../../shared/runtime/networks';
import { nameHasOwner } from './dbus';
import { GatewayWatcher } from './gateway';
import { NetworkManagerWatcher, NM_BUS_NAME } from './networkmanager';

/**
 * Events: 'change' (ActiveNetwork[]) whenever the list differs from the last one, and 'error'
 * (Error) when a read fails; the watcher keeps following and reads again, so errors are news,
 * not the end of the watcher.
 */
export interface NetworkWatcher extends EventEmitter {
  readonly kind: 'networkmanager' | 'gateway';
  /** Reads the current networks (current() is valid once this resolves) and starts following changes. */
  start(): Promise<void>;
  stop(): Promise<void>;
  /** The networks as last read, one entry per interface, sorted by interface. */
  current(): ActiveNetwork[];
}

/**
 * NetworkManager's watcher when NetworkManager is running (its name has an owner on `bus`),
 * otherwise the gateway watcher, which needs nothing but the kernel (also when the bus cannot be
 * asked). Not started: attach listeners, then call start().
 */
export async function createNetworkWatcher(bus: MessageBus): Promise<NetworkWatcher> {
  const networkManagerRuns = await nameHasOwner(bus, NM_BUS_NAME).catch(() => false);
  return networkManagerRuns ? new NetworkManagerWatcher(bus) : new GatewayWatcher();
}
