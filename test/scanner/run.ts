// `npm run test:scanner`: puts a real kernel through every case of the truth table and scans it
// with nmap from another network namespace. For each scenario the port state nmap reports must
// equal both the truth table (test/scanner/truth-table.ts) and the exposure predictor.
// Prints one line per scenario and ends with `N passed, N failed`; exits 1 on any failure.
import { parsePolicy } from '../../shared/policy/validate';
import { compileInterfaceUpdate, compileRuleset } from '../../shared/compiler/ruleset';
import { appOpenings, type ListeningSocket } from '../../shared/runtime/sockets';
import { normalisePortKeys, type RuntimeState } from '../../shared/runtime/state';
import { predictPing, predictPort, type ExposureContext } from '../../shared/exposure/predict';
import { PROFILE_NAMES } from '../../shared/policy/schema';
import { NftAdapter } from '../../electron/helper/nft';
import { Lab, type LabLink } from '../lab/lab';
import { scanKey, type ScanReport } from '../lab/nmap';
import { expectedPing, expectedPortState } from './truth-table';
import { CONFIGURATIONS, NOW, PORTS, basePolicy, listenerSpecs, reachableListener, type Configuration } from './scenarios';

const PROTOCOLS = ['tcp', 'udp'] as const;
const FAMILIES = [4, 6] as const;

let passed = 0;
let failed = 0;

function report(ok: boolean, line: string): void {
  if (ok) passed++;
  else failed++;
  console.log(`${ok ? 'PASS' : 'FAIL'}  ${line}`);
}

function describeProfile(c: Configuration, iface: string): string {
  const profile = c.interfaces[iface] ?? 'public';
  const p = c.profiles[profile];
  const flags = !p.enabled ? 'firewall off' : [p.shieldsUp ? 'shields up' : '', `stealth ${p.stealth ? 'on' : 'off'}`].filter(Boolean).join(', ');
  return `${iface}→${profile}${c.interfaces[iface] ? '' : ' (unknown iface)'} [${flags}]`;
}

/** The sockets the lab's listener process holds, each labelled with the app that plays its role. */
function labSockets(): ListeningSocket[] {
  return PORTS.flatMap(({ port, role, listener }) => PROTOCOLS.flatMap((protocol) =>
    listenerSpecs(listener, port, protocol).map((spec): ListeningSocket => ({
      protocol: spec.protocol, address: spec.address, port: spec.port,
      ...(spec.v6Only ? { v6Only: true } : {}),
      ...(role.app ? { app: { kind: 'executable', path: role.app } } : {}),
    }))));
}

async function scanAll(lab: Lab): Promise<Map<string, ScanReport>> {
  const ports = PORTS.map((p) => p.port);
  const jobs = lab.links.flatMap((link) => FAMILIES.map(async (family) => {
    const target = family === 4 ? link.hostV4 : link.hostV6;
    return [`${link.hostIf}/${family}`, await lab.scan({ target, tcp: ports, udp: ports })] as const;
  }));
  return new Map(await Promise.all(jobs));
}

async function checkConfiguration(lab: Lab, nft: NftAdapter, config: Configuration, sockets: ListeningSocket[]): Promise<void> {
  const policy = parsePolicy({ ...basePolicy(), profiles: config.profiles });
  const openings = appOpenings(policy, sockets);
  const stale = PORTS.filter((p) => p.role.staleOpening).flatMap((p) => PROTOCOLS.map((protocol) => ({ protocol, port: p.port })));
  for (const profile of PROFILE_NAMES) openings[profile].allow = normalisePortKeys([...openings[profile].allow, ...stale]);
  const runtime: RuntimeState = { interfaces: config.interfaces, appPorts: openings, now: NOW };

  if (config.viaProfileSwitch) await nft.apply(compileInterfaceUpdate(runtime));
  else await nft.apply(compileRuleset(policy, runtime));
  await lab.flushConntrack();

  const [scans, pings] = await Promise.all([
    scanAll(lab),
    Promise.all(lab.links.flatMap((link) => FAMILIES.map(async (f) => [`${link.hostIf}/${f}`, await lab.ping(f === 4 ? link.hostV4 : link.hostV6)] as const))),
  ]);
  const pingSeen = new Map(pings);

  for (const link of lab.links) {
    const profileName = config.interfaces[link.hostIf] ?? 'public';
    const facts = config.profiles[profileName];
    for (const family of FAMILIES) {
      const address = family === 4 ? link.hostV4 : link.hostV6;
      const ctx: ExposureContext = { policy, runtime, sockets, source: family === 4 ? link.outsideV4 : link.outsideV6 };
      const scan = scans.get(`${link.hostIf}/${family}`) as ScanReport;
      for (const { port, role, listener } of PORTS) {
        for (const protocol of PROTOCOLS) {
          const listening = reachableListener(listener, link.hostIf, family);
          const expected = expectedPortState(facts, role.allowed(profileName, protocol), listening, protocol);
          const predicted = predictPort(ctx, { interface: link.hostIf, address }, protocol, port).state;
          const seen = scan.get(scanKey(protocol, port));
          report(seen === expected && predicted === expected,
            `${config.name} ${describeProfile(config, link.hostIf)} IPv${family} ${protocol}/${port} ${role.name}, listener ${listener}: expected ${expected}, predicted ${predicted}, seen ${seen}`);
        }
      }
      const expectedAnswer = expectedPing(facts);
      const predictedAnswer = predictPing({ policy, runtime }, link.hostIf);
      const seenAnswer = pingSeen.get(`${link.hostIf}/${family}`);
      const word = (b: boolean | undefined) => (b ? 'answered' : 'silent');
      report(seenAnswer === expectedAnswer && predictedAnswer === expectedAnswer,
        `${config.name} ${describeProfile(config, link.hostIf)} IPv${family} ping (answer ping ${facts.answerPing ? 'on' : 'off'}): expected ${word(expectedAnswer)}, predicted ${word(predictedAnswer)}, seen ${word(seenAnswer)}`);
    }
  }
}

async function main(): Promise<void> {
  const lab = await Lab.create({ links: 3 });
  try {
    const nft = new NftAdapter({ command: lab.inNamespace('host', ['nft']) });
    const specs = PORTS.flatMap(({ port, listener }) => PROTOCOLS.flatMap((protocol) => listenerSpecs(listener, port, protocol)));
    await lab.listen(specs);
    const links: LabLink[] = lab.links;
    console.log(`lab ${lab.id}: ${links.map((l) => `${l.hostIf} ${l.hostV4} ${l.hostV6}`).join(' · ')}; scanner in ${lab.outsideNs}`);
    const sockets = labSockets();
    for (const config of CONFIGURATIONS) await checkConfiguration(lab, nft, config, sockets);
  } finally {
    await lab.destroy();
  }
  console.log(`${passed} passed, ${failed} failed`);
  process.exitCode = failed === 0 && passed > 0 ? 0 : 1;
}

main().catch((err: unknown) => {
  console.error(err);
  console.log(`${passed} passed, ${failed + 1} failed`);
  process.exitCode = 1;
});
