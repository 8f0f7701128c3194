// `palisaded`: the privileged helper. Applies the policy before it takes its bus name (so
// systemd's Type=dbus ordering means "the ruleset is in place"), then serves clients until
// stopped. Stopping leaves the ruleset in the kernel: the machine stays protected.
// First: it keeps V8's young generation small from here on (see the module).
import './sockets/young-generation';
import { networkInterfaces } from 'node:os';
import { parseArgs } from 'node:util';
import packageJson from '../../package.json' with { type: 'json' };
import { connectSystemBus } from '../common/system-bus';
import { NftAdapter, openNftRunner } from './nft';
import { PolicyStore } from './policy-store';
import { DEFAULT_POLL_INTERVAL_MS, SocketMonitor } from './sockets/monitor';
import { createNetworkWatcher } from './networks/watcher';
import { DEFAULT_CAPACITY, DropLogReader } from './droplog/reader';
import { readResolvers } from './resolvers';
import { Firewall, type InterfaceInfo } from './firewall';
import { FirewallService } from './dbus/service';
import { PolkitAuthorizer } from './dbus/polkit';

const USAGE = `usage: palisaded [--policy PATH] [--poll-interval MS] [--log-capacity N]

  --policy PATH         policy file (default /etc/palisade/policy.json)
  --poll-interval MS    how often listening sockets are listed (default ${DEFAULT_POLL_INTERVAL_MS})
  --log-capacity N      how many blocked attempts the drop log keeps (default ${DEFAULT_CAPACITY})

The system bus is DBUS_SYSTEM_BUS_ADDRESS when set.`;

const log = (message: string) => console.error(message);

/** Interfaces with their addresses, loopback aside (it is never filtered). */
function listInterfaces(): InterfaceInfo[] {
  return Object.entries(networkInterfaces())
    .filter(([name]) => name !== 'lo')
    .map(([name, addrs]) => ({ name, addresses: (addrs ?? []).map((a) => a.address) }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: { policy: { type: 'string', default: '/etc/palisade/policy.json' }, 'poll-interval': { type: 'string', default: String(DEFAULT_POLL_INTERVAL_MS) }, 'log-capacity': { type: 'string', default: String(DEFAULT_CAPACITY) }, help: { type: 'boolean', short: 'h', default: false } },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const pollIntervalMs = Number(values['poll-interval']);
  if (!Number.isInteger(pollIntervalMs) || pollIntervalMs < 10) throw new Error(`--poll-interval must be a whole number of milliseconds (at least 10), not "${values['poll-interval']}"`);
  const logCapacity = Number(values['log-capacity']);
  if (!Number.isInteger(logCapacity) || logCapacity < 1 || logCapacity > 1_000_000) throw new Error(`--log-capacity must be a whole number from 1 to 1000000, not "${values['log-capacity']}"`);
  if (process.getuid?.() !== 0) throw new Error('palisaded must run as root: it manages the kernel firewall');

  const bus = await connectSystemBus();
  // The firewall emits through the service, which serves the firewall's handlers: tie the knot
  // here. What the firewall announces while it starts is held until the service is on the bus.
  const link: { service?: FirewallService } = {};
  const early: (() => void)[] = [];
  const kernel = new NftAdapter({ runner: await openNftRunner(log) });
  const firewall = new Firewall({
    kernel,
    store: new PolicyStore(values.policy, { warn: (message) => log(`palisaded: ${message}`) }),
    policyPath: values.policy,
    sockets: new SocketMonitor({ pollIntervalMs }),
    networks: await createNetworkWatcher(bus),
    dropLog: new DropLogReader({ capacity: logCapacity, log }),
    resolvers: () => readResolvers(),
    interfaces: listInterfaces,
    emit: (signal, payload) => {
      if (link.service) link.service.emit(signal, payload);
      else early.push(() => link.service?.emit(signal, payload));
    },
    onRevision: () => link.service?.propertiesChanged(['Revision']),
    log,
    version: packageJson.version,
  });
  await firewall.start();
  const service = new FirewallService({
    bus,
    authorizer: new PolkitAuthorizer(bus),
    handlers: firewall.handlers,
    properties: () => ({ Version: packageJson.version, Revision: firewall.currentRevision() }),
    log,
  });
  await service.start();
  link.service = service;
  for (const send of early.splice(0)) send();
  log(`palisaded ${packageJson.version}: policy ${values.policy}, ruleset applied through ${kernel.description}, serving org.palisade.Firewall1`);

  const shutdown = async (signal: string) => {
    log(`palisaded: ${signal}, stopping (the ruleset stays in place)`);
    service.stop();
    await firewall.stop();
    bus.disconnect();
    process.exit(0);
  };
  process.once('SIGTERM', () => { void shutdown('SIGTERM'); });
  process.once('SIGINT', () => { void shutdown('SIGINT'); });
}

main(process.argv.slice(2)).catch((err: unknown) => {
  log(`palisaded: ${(err as Error).message ?? String(err)}`);
  process.exit(1);
});
