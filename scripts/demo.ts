// `sudo ./dev.sh app` (npm run demo), until the desktop app exists: the engine end to end in an
// isolated lab. Builds the lab namespaces, applies a policy, starts real listeners, and prints
// for each interface what the predictor says a scanner sees beside what nmap really sees; then
// switches profiles the way the helper will (element-only) and shows the difference.
import { parsePolicy } from '../shared/policy/validate';
import { compileInterfaceUpdate, compileRuleset } from '../shared/compiler/ruleset';
import { appOpenings, type ListeningSocket } from '../shared/runtime/sockets';
import type { RuntimeState } from '../shared/runtime/state';
import { predictExposure, type ExposureContext } from '../shared/exposure/predict';
import { NftAdapter } from '../electron/helper/nft';
import { Lab } from '../test/lab/lab';
import { scanKey } from '../test/lab/nmap';

const web: ListeningSocket = { protocol: 'tcp', address: '::', port: 8080, app: { kind: 'script', interpreter: '/usr/bin/python3', script: '/opt/demo/web.py' } };
const unknown: ListeningSocket = { protocol: 'tcp', address: '::', port: 9090, app: { kind: 'executable', path: '/opt/demo/unknown' } };
const dns: ListeningSocket = { protocol: 'udp', address: '::', port: 5353, app: { kind: 'executable', path: '/opt/demo/mdns' } };
const sockets = [web, unknown, dns];

const policy = parsePolicy({
  version: 1,
  apps: [
    { id: 'web', name: 'Demo web server', identity: web.app, action: 'allow', profiles: ['private'] },
    { id: 'mdns', name: 'mDNS responder', identity: dns.app, action: 'allow', profiles: ['private', 'public'] },
  ],
  portRules: [{ id: 'ssh', action: 'allow', protocol: 'tcp', ports: { from: 22, to: 22 }, profiles: ['private'], comment: 'SSH, only while sshd listens' }],
});

async function show(lab: Lab, runtime: RuntimeState, title: string): Promise<void> {
  console.log(`\n## ${title}`);
  for (const link of lab.links) {
    const ctx: ExposureContext = { policy, runtime, sockets, source: link.outsideV4 };
    const exposure = predictExposure(ctx, { name: link.hostIf, addresses: [link.hostV4] });
    const tcp = exposure.ports.filter((p) => p.protocol === 'tcp').map((p) => p.port);
    const udp = exposure.ports.filter((p) => p.protocol === 'udp').map((p) => p.port);
    const seen = await lab.scan({ target: link.hostV4, tcp, udp });
    const ping = await lab.ping(link.hostV4);
    console.log(`${link.hostIf} (${link.hostV4}) profile ${exposure.profile}: ping predicted ${exposure.ping ? 'answered' : 'silent'}, seen ${ping ? 'answered' : 'silent'}`);
    for (const p of exposure.ports) {
      const actual = seen.get(scanKey(p.protocol, p.port));
      console.log(`  ${`${p.protocol}/${p.port}`.padEnd(9)} predicted ${p.state.padEnd(13)} seen ${String(actual).padEnd(13)} ${p.reason.kind}${p.listening ? ', listening' : ''}${actual === p.state ? '' : '   <-- differs'}`);
    }
  }
}

const lab = await Lab.create({ links: 2 });
try {
  const nft = new NftAdapter({ command: lab.inNamespace('host', ['nft']) });
  await lab.listen(sockets.map((s) => ({ protocol: s.protocol, address: s.address, port: s.port })));
  const runtime: RuntimeState = { interfaces: { h0: 'private', h1: 'public' }, appPorts: appOpenings(policy, sockets) };
  await nft.apply(compileRuleset(policy, runtime));
  console.log(`Lab ${lab.id}: host namespace ${lab.hostNs}, scanner in ${lab.outsideNs}.`);
  console.log('Listening: demo web server tcp/8080 (allowed on Private), an unknown app tcp/9090, mDNS udp/5353 (allowed on both); rule ssh tcp/22 on Private, nothing listening.');
  console.log('\n## The ruleset Palisade applied\n' + (await nft.readTableText()));
  await show(lab, runtime, 'h0 on a Private network, h1 on a Public one');
  const switched: RuntimeState = { ...runtime, interfaces: { h0: 'public', h1: 'private' } };
  await nft.apply(compileInterfaceUpdate(switched));
  await show(lab, switched, 'after the networks swap (an element-only profile switch)');
} finally {
  await lab.destroy();
}
