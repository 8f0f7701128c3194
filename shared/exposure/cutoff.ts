// Would a change cut the caller off? For someone connected from another host (SSH), a change
// that turns the port they came in on from open to anything else is risky: it is then applied
// with a confirmation window and rolls back by itself unless confirmed.
import type { Policy, PortRule } from '../policy/schema';
import type { ListeningSocket } from '../runtime/sockets';
import { assignProfiles, type ActiveNetwork } from '../runtime/networks';
import { appOpenings } from '../runtime/sockets';
import { canonicalAddress, isIpAddress, unmapAddress } from '../net/address';
import { predictPort } from './predict';

/** The caller's connection, as in SSH_CONNECTION: "client_ip client_port server_ip server_port". */
export interface RemoteConnection {
  clientAddress: string;
  serverAddress: string;
  serverPort: number;
}

/** sshd writes link-local addresses with their zone (`fe80::1%eth0`); the address is what matters. */
const withoutZone = (address: string) => address.replace(/%.*$/, '');

export function parseSshConnection(value: string | undefined): RemoteConnection | undefined {
  const [client, , server, port] = (value ?? '').trim().split(/\s+/).map((part, i) => (i === 0 || i === 2 ? withoutZone(part) : part));
  if (!client || !server || !port || !isIpAddress(client) || !isIpAddress(server) || !/^\d{1,5}$/.test(port)) return undefined;
  const serverPort = Number(port);
  if (serverPort < 1 || serverPort > 65535) return undefined;
  return { clientAddress: unmapAddress(client), serverAddress: unmapAddress(server), serverPort };
}

export interface CutoffInputs {
  before: Policy;
  after: Policy;
  interfaces: readonly { name: string; addresses: readonly string[] }[];
  activeNetworks: readonly ActiveNetwork[];
  listening: readonly ListeningSocket[];
  connection: RemoteConnection;
  now?: string;
}

const knockRules = (policy: Policy) => policy.portRules.filter((r) => r.action === 'allow' && r.direction === 'in' && r.knock);
const sequenceOf = (r: PortRule) => (r.knock?.sequence ?? []).map((k) => `${k.port}/${k.protocol}`).join(',');

/**
 * True when the caller's port is reachable for them now and would not be after the change.
 * The caller is connected, so if their port is guarded by knocking they have knocked: every
 * knock rule counts as knocked before the change, and after it those that keep their id and
 * their sequence (the kernel remembers knocks in sets named after both; a new or changed
 * sequence has to be knocked again).
 */
export function wouldCutOff(inputs: CutoffInputs): boolean {
  const server = canonicalAddress(inputs.connection.serverAddress);
  const iface = inputs.interfaces.find((i) => i.addresses.some((a) => canonicalAddress(a) === server));
  if (!iface) return false;
  const names = inputs.interfaces.map((i) => i.name);
  const knockedBefore = new Map(knockRules(inputs.before).map((r) => [r.id, sequenceOf(r)]));
  const knockedAfter = knockRules(inputs.after).filter((r) => knockedBefore.get(r.id) === sequenceOf(r)).map((r) => r.id);
  const stateUnder = (policy: Policy, knocked: readonly string[]) => {
    const runtime = { interfaces: assignProfiles(policy, inputs.activeNetworks, names).interfaces, appPorts: appOpenings(policy, inputs.listening), ...(inputs.now ? { now: inputs.now } : {}) };
    const ctx = { policy, runtime, sockets: inputs.listening, source: inputs.connection.clientAddress, knocked };
    return predictPort(ctx, { interface: iface.name, address: server }, 'tcp', inputs.connection.serverPort).state;
  };
  return stateUnder(inputs.before, [...knockedBefore.keys()]) === 'open' && stateUnder(inputs.after, knockedAfter) !== 'open';
}
