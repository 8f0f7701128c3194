// The kernel's links, default routes and neighbours over rtnetlink, with the `netlink` package
// (N-API prebuilds, typed rtnetlink). Chosen over parsing `ip monitor`: the package both dumps the
// tables and receives the multicast notifications as parsed messages, so no text format is
// scraped and no child process has to be kept alive. Sockets belong to the network namespace of
// the process that opens them.
import { createRtNetlink, FlagsNew, type RtNetlinkSocket, type rt } from 'netlink';
import ipaddr from 'ipaddr.js';
import type { IpVersion, KernelLink, KernelNeighbour, KernelRoute } from './gateway-routes';

const AF_INET = 2;
const AF_INET6 = 10;
const MAIN_TABLE = 254;
const MAC_LENGTH = 6;
/** Room for bursts of notifications (a link going down takes its routes and neighbours with it). */
const EVENT_BUFFER_BYTES = 1 << 20;

export type KernelEvent =
  | { kind: 'link' | 'address' | 'defaultRoute' }
  | { kind: 'neighbour'; neighbour: KernelNeighbour }
  /** Notifications were lost (the receive buffer overflowed): only a full re-read is trustworthy. */
  | { kind: 'overrun'; error: Error };

const versionOf = (family: number | undefined): IpVersion | undefined => (family === AF_INET ? 4 : family === AF_INET6 ? 6 : undefined);

function addressText(bytes: Buffer | undefined): string | undefined {
  if (!bytes || (bytes.length !== 4 && bytes.length !== 16)) return undefined;
  return ipaddr.fromByteArray([...bytes]).toString();
}

function macText(bytes: Buffer | undefined): string | undefined {
  if (bytes?.length !== MAC_LENGTH || bytes.every((b) => b === 0)) return undefined;
  return [...bytes].map((b) => b.toString(16).padStart(2, '0')).join(':');
}

function toLink(msg: rt.LinkMessage): KernelLink | undefined {
  const { index } = msg.data;
  const name = msg.attrs.ifname;
  if (index === undefined || name === undefined) return undefined;
  const flags = msg.data.flags ?? {};
  const hasMacNeighbours = msg.attrs.address?.length === MAC_LENGTH && !flags.loopback && !flags.noarp;
  return { index, name, usable: Boolean(flags.up && flags.lowerUp) && hasMacNeighbours };
}

/**
 * Multipath routes and routes through nexthop objects carry their gateways elsewhere
 * (RTA_MULTIPATH, RTA_NH_ID); a desktop's default route has a single gateway, so those are left out.
 */
function toDefaultRoute(msg: rt.RouteMessage): KernelRoute | undefined {
  const version = versionOf(msg.data.family);
  const table = msg.attrs.table ?? msg.data.table;
  const unicast = msg.data.type === 'UNICAST' || msg.data.type === 1;
  const gateway = addressText(msg.attrs.gateway);
  const ifindex = msg.attrs.oif;
  if (!version || msg.data.dstLen !== 0 || table !== MAIN_TABLE || !unicast || !gateway || ifindex === undefined) return undefined;
  return { version, ifindex, gateway, metric: msg.attrs.priority ?? 0 };
}

function toNeighbour(msg: rt.NeighborMessage): KernelNeighbour | undefined {
  const { ifindex, state } = msg.data;
  const address = addressText(msg.attrs.dst);
  if (ifindex === undefined || !address) return undefined;
  const resolved = !(state?.incomplete || state?.failed);
  return { ifindex, address, mac: resolved ? macText(msg.attrs.lladdr) : undefined };
}

export class RtNetlink {
  private constructor(private readonly events: RtNetlinkSocket, private readonly queries: RtNetlinkSocket) {}

  /** Opens a socket for notifications (kept referenced: it is what the watcher waits on) and one for dumps. */
  static open(onEvent: (event: KernelEvent) => void, onError: (error: Error) => void): RtNetlink {
    // The typings make both buffer sizes required; 0 leaves the kernel's default (the package skips it).
    const events = createRtNetlink({ ref: true, recvBufferSize: EVENT_BUFFER_BYTES, sendBufferSize: 0 });
    const queries = createRtNetlink();
    events.socket.on('error', (error) => onEvent({ kind: 'overrun', error }));
    queries.socket.on('error', onError);
    events.on('message', (messages) => {
      for (const msg of messages) {
        const event = RtNetlink.eventOf(msg);
        if (event) onEvent(event);
      }
    });
    try {
      for (const group of ['LINK', 'IPV4_IFADDR', 'IPV6_IFADDR', 'IPV4_ROUTE', 'IPV6_ROUTE', 'NEIGH'] as const) events.addMembership(group);
    } catch (err) {
      events.socket.close();
      queries.socket.close();
      throw err;
    }
    return new RtNetlink(events, queries);
  }

  private static eventOf(msg: rt.Message): KernelEvent | undefined {
    switch (msg.kind) {
      // Wireless-extension notices (scan results) arrive as link messages and change nothing here.
      case 'link': return msg.attrs.wireless ? undefined : { kind: 'link' };
      case 'address': return { kind: 'address' };
      case 'route': return msg.data.dstLen === 0 ? { kind: 'defaultRoute' } : undefined;
      case 'neighbor': {
        const neighbour = toNeighbour(msg);
        return neighbour ? { kind: 'neighbour', neighbour } : undefined;
      }
      default: return undefined;
    }
  }

  async links(): Promise<KernelLink[]> {
    return (await this.queries.getLinks()).map(toLink).filter((l): l is KernelLink => l !== undefined);
  }

  async defaultRoutes(): Promise<KernelRoute[]> {
    return (await this.queries.getRoutes()).map(toDefaultRoute).filter((r): r is KernelRoute => r !== undefined);
  }

  async neighbours(): Promise<KernelNeighbour[]> {
    return (await this.queries.getNeighbors()).map(toNeighbour).filter((n): n is KernelNeighbour => n !== undefined);
  }

  /**
   * Asks the kernel to resolve one neighbour on one link, as `ip neigh replace ADDR dev DEV use`
   * does (NTF_USE): an ARP request or neighbour solicitation to that address on that link and
   * nothing else; the answer arrives as a neighbour notification.
   */
  async probe(ifindex: number, address: string): Promise<void> {
    const parsed = ipaddr.parse(address);
    const family = parsed.kind() === 'ipv4' ? AF_INET : AF_INET6;
    await this.queries.newNeighbor({ family, ifindex, flags: { use: true } }, { dst: Buffer.from(parsed.toByteArray()) }, { flags: FlagsNew.CREATE });
  }

  close(): void {
    this.events.socket.close();
    this.queries.socket.close();
  }
}
