// The network watcher without NetworkManager: a network is its default gateway's address and MAC
// (as Windows identifies networks), per interface with a default route. Follows the kernel through
// rtnetlink notifications and re-reads the tables after each relevant one; a gateway whose MAC is
// not known yet is probed on its own link and reported once it answers.
import type { ActiveNetwork } from '../../../shared/runtime/networks';
import { NetworkListEmitter } from './publisher';
import { gatewayNetwork, neighbourKey, selectGateways, type GatewayCandidate } from './gateway-routes';
import { RtNetlink, type KernelEvent } from './rtnetlink';
import type { NetworkWatcher } from './watcher';

/** Probing an unanswered gateway backs off from the first delay to the last, then stays there. */
const PROBE_BACKOFF_MS = { first: 2_000, last: 60_000 };

interface ProbeState {
  next: number;
  delay: number;
}

export class GatewayWatcher extends NetworkListEmitter implements NetworkWatcher {
  readonly kind = 'gateway' as const;
  private netlink: RtNetlink | undefined;
  /** Gateways in use (neighbour key → candidate): only their neighbour notifications matter. */
  private gateways = new Map<string, GatewayCandidate>();
  /**
   * Last MAC seen per gateway while its route exists: the kernel may forget an idle neighbour
   * (garbage collection) and the network must not vanish with it.
   */
  private readonly macs = new Map<string, string>();
  private readonly probes = new Map<string, ProbeState>();
  private probeTimer: NodeJS.Timeout | undefined;

  async start(): Promise<void> {
    if (this.netlink) return;
    this.stopped = false;
    this.netlink = RtNetlink.open((event) => this.onKernelEvent(event), (err) => this.report(err));
    await this.refresh();
  }

  async stop(): Promise<void> {
    clearTimeout(this.probeTimer);
    await this.settle();
    this.netlink?.close();
    this.netlink = undefined;
  }

  private onKernelEvent(event: KernelEvent): void {
    if (event.kind === 'overrun') this.report(event.error);
    // Only a gateway's neighbour entry matters, and only when its MAC is news. While a read is
    // under way the gateways it finds are not known yet, so any neighbour news calls for another.
    if (event.kind === 'neighbour' && !this.readInProgress) {
      const key = neighbourKey(event.neighbour.ifindex, event.neighbour.address);
      if (!this.gateways.has(key) || (event.neighbour.mac !== undefined && event.neighbour.mac === this.macs.get(key))) return;
    }
    void this.refresh();
  }

  protected async read(): Promise<ActiveNetwork[] | undefined> {
    const netlink = this.netlink;
    if (!netlink) return undefined;
    // One dump at a time: the kernel serves a single dump per netlink socket.
    const links = await netlink.links();
    const routes = await netlink.defaultRoutes();
    const neighbours = await netlink.neighbours();

    const candidates = selectGateways(links, routes);
    this.gateways = new Map(candidates.map((c) => [neighbourKey(c.ifindex, c.address), c]));
    for (const key of [...this.macs.keys()]) if (!this.gateways.has(key)) this.macs.delete(key);
    for (const n of neighbours) {
      const key = neighbourKey(n.ifindex, n.address);
      if (n.mac !== undefined && this.gateways.has(key)) this.macs.set(key, n.mac);
    }

    const networks: ActiveNetwork[] = [];
    const unresolved: GatewayCandidate[] = [];
    for (const [key, candidate] of this.gateways) {
      const mac = this.macs.get(key);
      if (mac === undefined) unresolved.push(candidate);
      else networks.push(gatewayNetwork(candidate, mac));
    }
    this.probeUnresolved(netlink, unresolved);
    return networks;
  }

  /** Probes the gateways still without a MAC that are due, and wakes up for the next one due. */
  private probeUnresolved(netlink: RtNetlink, unresolved: readonly GatewayCandidate[]): void {
    const now = Date.now();
    const keys = new Set(unresolved.map((c) => neighbourKey(c.ifindex, c.address)));
    for (const key of [...this.probes.keys()]) if (!keys.has(key)) this.probes.delete(key);
    for (const candidate of unresolved) {
      const key = neighbourKey(candidate.ifindex, candidate.address);
      const state = this.probes.get(key);
      if (state && state.next > now) continue;
      const delay = state ? Math.min(state.delay * 2, PROBE_BACKOFF_MS.last) : PROBE_BACKOFF_MS.first;
      this.probes.set(key, { next: now + delay, delay });
      netlink.probe(candidate.ifindex, candidate.address).catch((err: unknown) => this.report(err));
    }
    clearTimeout(this.probeTimer);
    this.probeTimer = undefined;
    if (this.probes.size === 0 || this.stopped) return;
    const due = Math.min(...[...this.probes.values()].map((p) => p.next));
    this.probeTimer = setTimeout(() => { void this.refresh(); }, Math.max(0, due - now));
    this.probeTimer.unref();
  }
}
