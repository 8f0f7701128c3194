// `npm run test:scanner`: puts a real kernel through every case of the truth table and scans it
// with nmap from another network namespace. For each scenario the port state nmap reports must
// equal both the truth table (test/scanner/truth-table.ts) and the exposure predictor.
// Before each scan some sources knock from the outside namespace (the right sequence, the wrong
// order, too slowly): on knock-guarded ports nmap must then see what the predictor said before
// knocking ("open after knock") for the sources that knocked, and the "before" view for the others.
// Prints one line per scenario and ends with `N passed, N failed`; exits 1 on any failure.
import { parsePolicy } from '../../shared/policy/validate';
import { compileInterfaceUpdate, compileRuleset } from '../../shared/compiler/ruleset';
import { appOpenings, type ListeningSocket } from '../../shared/runtime/sockets';
import { normalisePortKeys, type RuntimeState } from '../../shared/runtime/state';
import { predictPing, predictPort, type ExposureContext, type PortPrediction } from '../../shared/exposure/predict';
import { PROFILE_NAMES, type Policy, type ProfileName } from '../../shared/policy/schema';
import { NftAdapter } from '../../electron/helper/nft';
import { Lab, type LabLink } from '../lab/lab';
import { sendKnocks, type Knock } from '../lab/knock';
import { scanKey, type ScanReport } from '../lab/nmap';
import { expectedKnockPortState, expectedPing, expectedPortState, type ProfileFacts, type Seen } from './truth-table';
import {
  CONFIGURATIONS, KNOCKS, KNOCK_SEQUENCES, KNOCK_WINDOW_SECONDS, NOW, PORTS, basePolicy, knockRuleId, listenerSpecs, profileSettings, reachableListener,
  type Configuration, type KnockRound, type PortScenario,
} from './scenarios';

const PROTOCOLS = ['tcp', 'udp'] as const;
const FAMILIES = [4, 6] as const;
type Family = (typeof FAMILIES)[number];
type Protocol = (typeof PROTOCOLS)[number];

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
  const flags = !p.enabled ? 'firewall off' : [p.shieldsUp ? 'shields up' : '', `stealth ${p.stealth ? 'on' : 'off'}`, p.scanDetection ? 'scan detection' : ''].filter(Boolean).join(', ');
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

const addressOf = (link: LabLink, family: Family) => (family === 4 ? link.hostV4 : link.hostV6);
const sourceOf = (link: LabLink, family: Family) => (family === 4 ? link.outsideV4 : link.outsideV6);

async function scanAll(lab: Lab, ports: readonly number[]): Promise<Map<string, ScanReport>> {
  const jobs = lab.links.flatMap((link) => FAMILIES.map(async (family) =>
    [`${link.hostIf}/${family}`, await lab.scan({ target: addressOf(link, family), tcp: ports, udp: ports })] as const));
  return new Map(await Promise.all(jobs));
}

/** The test's own reading of what the scanner must see on a port (`knocked`: the scanner knocked every knock rule). */
function expectedState(s: PortScenario, facts: ProfileFacts, profile: ProfileName, protocol: Protocol, listening: boolean, knocked: boolean): Seen {
  if (KNOCKS.get(s.port)?.protocol === protocol) return expectedKnockPortState(facts, listening, protocol);
  const allowed = knocked && s.role.afterKnock ? s.role.afterKnock(profile, protocol) : s.role.allowed(profile, protocol);
  return expectedPortState(facts, allowed, listening, protocol);
}

/** Who must be named as limiting new connections: the role's rule or app, when it is what accepts the probe. */
function expectedLimit(s: PortScenario, facts: ProfileFacts, profile: ProfileName, protocol: Protocol, listening: boolean): string | undefined {
  if (!s.role.rateLimited || !facts.enabled || facts.shieldsUp || !listening || !s.role.allowed(profile, protocol)) return undefined;
  return s.role.rateLimited === 'app' ? 'app:app-limited' : `port:limited-${s.port}`;
}

const limitText = (p: PortPrediction) => (p.rateLimited ? `${p.rateLimited.owner}:${p.rateLimited.id}` : undefined);

function compile(config: Configuration, sockets: ListeningSocket[]): { policy: Policy; runtime: RuntimeState } {
  const profiles = { private: profileSettings(config.profiles.private), public: profileSettings(config.profiles.public) };
  const policy = parsePolicy({ ...basePolicy(), profiles });
  const openings = appOpenings(policy, sockets);
  const stale = PORTS.filter((p) => p.role.staleOpening).flatMap((p) => PROTOCOLS.map((protocol) => ({ protocol, port: p.port })));
  for (const profile of PROFILE_NAMES) openings[profile].allow = normalisePortKeys([...openings[profile].allow, ...stale]);
  return { policy, runtime: { interfaces: config.interfaces, appPorts: openings, now: NOW } };
}

/** Which sources have knocked every knock rule and are still let in: a full replacement forgets them, a profile switch does not. */
const knockedSources = new Set<string>();

/** What one source sends: every knock-guarded rule's sequence, in order, reversed, or with a pause longer than the window halfway. */
function knocksFor(round: KnockRound): Knock[] {
  const sequences = [...KNOCK_SEQUENCES.values()];
  switch (round) {
    case 'right': return sequences.flat();
    case 'wrong-order': return sequences.flatMap((seq) => [...seq].reverse());
    case 'too-slow': {
      // The first half of every sequence, a pause, the second half: one gap too long each.
      const half = (seq: Knock[]) => Math.ceil(seq.length / 2);
      const pauseMs = (KNOCK_WINDOW_SECONDS + 1) * 1000;
      const second = sequences.flatMap((seq) => seq.slice(half(seq)));
      return [...sequences.flatMap((seq) => seq.slice(0, half(seq))), ...second.map((k, i) => (i === 0 ? { ...k, delayMs: pauseMs } : k))];
    }
  }
}

const roundText: Record<KnockRound, string> = { 'right': 'knocked', 'wrong-order': 'knocked in the wrong order', 'too-slow': 'knocked too slowly' };

async function checkConfiguration(lab: Lab, nft: NftAdapter, config: Configuration, sockets: ListeningSocket[]): Promise<void> {
  const { policy, runtime } = compile(config, sockets);
  if (config.viaProfileSwitch) {
    await nft.apply(compileInterfaceUpdate(runtime));
  } else {
    await nft.apply(compileRuleset(policy, runtime));
    knockedSources.clear();
  }
  await lab.flushConntrack();

  // Some sources knock first; the one scan then sees each knock-guarded port before knocking from some sources, after from others.
  await Promise.all(Object.entries(config.knocks ?? {}).map(async ([source, round]) => {
    const [iface, family] = source.split('/');
    const link = lab.links.find((l) => l.hostIf === iface);
    if (!link || (family !== '4' && family !== '6')) throw new Error(`configuration ${config.name}: no source ${source}`);
    await sendKnocks(lab, addressOf(link, family === '4' ? 4 : 6), knocksFor(round));
    if (round === 'right') knockedSources.add(source);
  }));
  const allKnockRules = [...KNOCK_SEQUENCES.keys()].map(knockRuleId);

  const [scans, pings] = await Promise.all([
    scanAll(lab, PORTS.map((p) => p.port)),
    Promise.all(lab.links.flatMap((link) => FAMILIES.map(async (f) => [`${link.hostIf}/${f}`, await lab.ping(addressOf(link, f))] as const))),
  ]);
  const pingSeen = new Map<string, boolean>(pings);

  for (const link of lab.links) {
    const profileName = config.interfaces[link.hostIf] ?? 'public';
    const facts = config.profiles[profileName];
    for (const family of FAMILIES) {
      const address = addressOf(link, family);
      const source = `${link.hostIf}/${family}`;
      const knocked = knockedSources.has(source);
      const round = config.knocks?.[source];
      const who = knocked ? `source knocked${round ? '' : ' (before the switch)'}` : round ? `source ${roundText[round]}` : 'source did not knock';
      // The "before knocking" view, and the view of this source.
      const before: ExposureContext = { policy, runtime, sockets, source: sourceOf(link, family) };
      const ctx: ExposureContext = knocked ? { ...before, knocked: allKnockRules } : before;
      const scan = scans.get(source) as ScanReport;
      for (const s of PORTS) {
        const { port, role, listener } = s;
        for (const protocol of PROTOCOLS) {
          const listening = reachableListener(listener, link.hostIf, family);
          const expected = expectedState(s, facts, profileName, protocol, listening, knocked);
          const target = { interface: link.hostIf, address };
          const prediction = predictPort(ctx, target, protocol, port);
          const foretold = knocked ? predictPort(before, target, protocol, port) : prediction;
          const seen = scan.get(scanKey(protocol, port));
          // Beyond the state: "open after knock" (said before knocking, seen by those who knocked) and "rate limited".
          const expectedBefore = expectedState(s, facts, profileName, protocol, listening, false);
          const expectedAfter = role.afterKnock ? expectedState(s, facts, profileName, protocol, listening, true) : undefined;
          const expectedLimited = expectedLimit(s, facts, profileName, protocol, listening);
          const ok = seen === expected && prediction.state === expected
            && foretold.state === expectedBefore && foretold.afterKnock === expectedAfter && limitText(foretold) === expectedLimited;
          const knockNote = KNOCKS.get(port)?.protocol === protocol ? ' (a knock)' : '';
          const extras = [
            role.afterKnock ? `; ${who}; before knocking predicted ${foretold.state}, after knocking ${foretold.afterKnock} (expected ${expectedBefore}, ${expectedAfter})` : '',
            expectedLimited || foretold.rateLimited ? `; rate limited by: expected ${expectedLimited}, predicted ${limitText(foretold)}` : '',
          ].join('');
          report(ok, `${config.name} ${describeProfile(config, link.hostIf)} IPv${family} ${protocol}/${port}${knockNote} ${role.name}, listener ${listener}: expected ${expected}, predicted ${prediction.state}, seen ${seen}${extras}`);
        }
      }
      const expectedAnswer = expectedPing(facts);
      const predictedAnswer = predictPing({ policy, runtime }, link.hostIf);
      const seenAnswer = pingSeen.get(source);
      const word = (b: boolean | undefined) => (b ? 'answered' : 'silent');
      report(seenAnswer === expectedAnswer && predictedAnswer === expectedAnswer,
        `${config.name} ${describeProfile(config, link.hostIf)} IPv${family} ping (answer ping ${facts.answerPing ? 'on' : 'off'}): expected ${word(expectedAnswer)}, predicted ${word(predictedAnswer)}, seen ${word(seenAnswer)}`);
    }
  }
}

async function main(): Promise<void> {
  const started = Date.now();
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
  console.log(`(${((Date.now() - started) / 1000).toFixed(1)} s)`);
  console.log(`${passed} passed, ${failed} failed`);
  process.exitCode = failed === 0 && passed > 0 ? 0 : 1;
}

main().catch((err: unknown) => {
  console.error(err);
  console.log(`${passed} passed, ${failed + 1} failed`);
  process.exitCode = 1;
});
