// `npm run lab` (`sudo ./dev.sh app`): Palisade running for real, without touching this
// machine's firewall. Starts the lab (a "host" and an "outside" network namespace), a private
// system bus with a real polkitd, and palisaded inside the host namespace; then prints how to
// drive it with the palisade CLI and scan it from outside. Ctrl-C removes everything.
import { Stack } from '../test/support/stack';

const stack = await Stack.start({ links: 2 });
// Two networks, as a laptop on Ethernet and Wi-Fi would have: the helper remembers both as Public.
await stack.lab.exec('host', ['ip', 'route', 'add', 'default', 'via', '10.77.0.2', 'dev', 'h0']);
await stack.lab.exec('host', ['ip', 'route', 'add', 'default', 'via', '10.77.1.2', 'dev', 'h1', 'metric', '200']);

const env = `DBUS_SYSTEM_BUS_ADDRESS=${stack.bus.address}`;
console.log(`
Palisade is running in a lab.
  helper     palisaded in network namespace ${stack.lab.hostNs} (interfaces h0 10.77.0.1, h1 10.77.1.1)
  scanner    network namespace ${stack.lab.outsideNs} (10.77.0.2, 10.77.1.2)
  bus        ${stack.bus.address} (with a real polkitd)
  policy     ${stack.policyPath}

In another terminal (as root):
  export ${env}
  npx palisade status
  npx palisade network set current private          # h0's network is Private from now on
  ip netns exec ${stack.lab.hostNs} ncat -lk -p 8080 &   # an app starts listening…
  npx palisade prompts                              # …and Palisade asks about it
  npx palisade prompt allow <ID> --profile private
  npx palisade exposure                             # what a scanner should see
  ip netns exec ${stack.lab.outsideNs} nmap -Pn -p 8080 10.77.0.1 10.77.1.1   # what it does see

Ctrl-C stops the helper and removes the namespaces, the bus and the policy.
`);

await new Promise<void>((resolve) => {
  process.once('SIGINT', resolve);
  process.once('SIGTERM', resolve);
});
await stack.stop();
