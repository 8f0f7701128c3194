// The DNS servers this system sends queries to, for the outbound "DNS" essential: the
// nameservers of /etc/resolv.conf, or — when that only names systemd-resolved's local stub —
// the upstream servers resolved itself uses (its own queries are what leave the machine).
// Loopback servers pass the output chain anyway, so they are kept only when nothing else is known.
import { readFileSync } from 'node:fs';
import { canonicalAddress, isIpAddress, isLoopbackAddress } from '../../shared/net/address';

export const RESOLV_CONF = '/etc/resolv.conf';
/** systemd-resolved's list of its upstream servers, in resolv.conf format. */
export const RESOLVED_UPSTREAM_CONF = '/run/systemd/resolve/resolv.conf';
/** systemd-resolved's stub listeners (127.0.0.54 is its "proxy" stub). */
const RESOLVED_STUBS = new Set(['127.0.0.53', '127.0.0.54']);

/** The addresses on `nameserver` lines, canonical, without zone ids (nftables cannot match them), once each. */
export function parseResolvConf(text: string): string[] {
  const servers: string[] = [];
  for (const line of text.split('\n')) {
    const [keyword, value] = line.trim().split(/\s+/);
    if (keyword !== 'nameserver' || value === undefined) continue;
    const address = value.replace(/%.*$/, '');
    if (!isIpAddress(address)) continue;
    const canonical = canonicalAddress(address);
    if (!servers.includes(canonical)) servers.push(canonical);
  }
  return servers;
}

/**
 * The servers to allow, from /etc/resolv.conf's and (if readable) resolved's upstream list:
 * the upstreams when the system file names only resolved's stub; loopback ones dropped unless
 * they are all there is.
 */
export function chooseResolvers(configured: readonly string[], resolvedUpstreams: readonly string[] | undefined): string[] {
  const onlyStub = configured.length > 0 && configured.every((s) => RESOLVED_STUBS.has(s));
  const servers = onlyStub && resolvedUpstreams?.length ? resolvedUpstreams : configured;
  const remote = servers.filter((s) => !isLoopbackAddress(s));
  return remote.length ? [...remote] : [...servers];
}

/** Reads the files now (they change as networks come and go); a missing file counts as empty. */
export function readResolvers(paths: { resolvConf?: string; resolvedUpstreamConf?: string } = {}): string[] {
  const read = (path: string) => {
    try {
      return readFileSync(path, 'utf8');
    } catch {
      return undefined;
    }
  };
  const configured = parseResolvConf(read(paths.resolvConf ?? RESOLV_CONF) ?? '');
  const upstream = read(paths.resolvedUpstreamConf ?? RESOLVED_UPSTREAM_CONF);
  return chooseResolvers(configured, upstream === undefined ? undefined : parseResolvConf(upstream));
}
