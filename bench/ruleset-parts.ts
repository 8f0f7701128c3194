// What each part of Palisade's table costs new connections: a profiling tool behind
// bench/findings.md, not part of `npm run bench` (it reports no target).
//
//   npx tsx bench/ruleset-parts.ts [--rounds 7] [--seconds 3] [variant,...]
//
// The table Palisade builds for the packet-path benchmark's 1,000 rules is listed once
// (`nft -j list`), then variants of it — each with one part taken out — are loaded by hand into
// ONE lab and measured in turns, so lab-to-lab differences do not enter the comparison. The
// listing is edited as JSON and loaded with `nft -j -f`, like everything Palisade sends.
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Lab } from '../test/lab/lab';
import { Stack } from '../test/support/stack';
import { CONNTRACK_ONLY_TABLE, connectionRate, packetPathPolicy, prepareServer, PORT } from './packet-path';
import { median } from './lib/stats';

type Listed = Record<string, Record<string, unknown>>;

/**
 * Not a variant of Palisade's table: what skipping connection tracking for the served port
 * (`notrack` at raw priority, both ways) would give, the one thing left below the conntrack floor.
 */
const NOTRACK_TABLE = `table inet bench_notrack {
 chain prerouting { type filter hook prerouting priority raw; tcp dport ${PORT} notrack; }
 chain output { type filter hook output priority raw; tcp sport ${PORT} notrack; }
 chain input { type filter hook input priority filter; policy accept; ct state established,related accept; ct state invalid drop; ct state untracked tcp dport ${PORT} accept; }
}
`;
/** Tables written by hand rather than derived from Palisade's. */
const HAND_WRITTEN: Record<string, string> = { conntrack: CONNTRACK_ONLY_TABLE, notrack: NOTRACK_TABLE };

const text = (o: unknown) => JSON.stringify(o);
const ruleOf = (o: Listed) => o.rule as { chain: string; expr: unknown[] } | undefined;
const withoutRules = (t: Listed[], drop: (r: { chain: string; expr: unknown[] }) => boolean) => t.filter((o) => { const r = ruleOf(o); return !r || !drop(r); });

/** Each variant takes one part out of the table (or puts the old interval-only maps back). */
const VARIANTS: Record<string, (t: Listed[]) => Listed[]> = {
  palisade: (t) => t,
  'interval-maps': (t) => t.map((o) => (o.map && /_port_(allow|open)$/.test(String(o.map.name)) ? { map: { ...o.map, flags: ['interval'] } } : o)),
  'no-rpfilter': (t) => withoutRules(t, (r) => text(r.expr).includes('"rpfilter_')),
  'no-essentials': (t) => withoutRules(t, (r) => text(r.expr).includes('"target":"essentials"')),
  'no-socket': (t) => t.map((o) => { const r = ruleOf(o); return r && text(r.expr).includes('_port_allow') ? { rule: { ...r, expr: r.expr.filter((e) => !text(e).includes('socket')) } } : o; }),
  'no-app-block': (t) => withoutRules(t, (r) => text(r.expr).includes('_app_block')),
};

/** A listing as one transaction: objects before the rules that refer to them, handles dropped. */
function asTransaction(listing: Listed[]): string {
  const order = ['table', 'counter', 'chain', 'set', 'map', 'rule'];
  const rank = (o: Listed) => order.indexOf(Object.keys(o)[0] as string);
  const cmds = [...listing].sort((a, b) => rank(a) - rank(b)).map((o) => {
    const [kind, body] = Object.entries(o)[0] as [string, Record<string, unknown>];
    const { handle: _handle, ...rest } = body;
    return { add: { [kind]: rest } };
  });
  return JSON.stringify({ nftables: [{ metainfo: { json_schema_version: 1 } }, ...cmds] });
}

async function palisadeListing(): Promise<Listed[]> {
  const stack = await Stack.start({ links: 1, pollIntervalMs: 'default', policy: packetPathPolicy() });
  try {
    const { stdout } = await stack.lab.exec('host', ['nft', '-j', 'list', 'table', 'inet', 'palisade']);
    return (JSON.parse(stdout) as { nftables: Listed[] }).nftables.filter((o) => !o.metainfo);
  } finally {
    await stack.stop();
  }
}

const { values, positionals } = parseArgs({ allowPositionals: true, options: { rounds: { type: 'string', default: '7' }, seconds: { type: 'string', default: '3' } } });
const names = (positionals[0] ?? 'none,conntrack,palisade,interval-maps').split(',');
for (const n of names) if (n !== 'none' && !HAND_WRITTEN[n] && !VARIANTS[n]) throw new Error(`unknown variant ${n}; known: none, ${Object.keys(HAND_WRITTEN).join(', ')}, ${Object.keys(VARIANTS).join(', ')}`);
const listing = await palisadeListing();
const dir = mkdtempSync(join(tmpdir(), 'palisade-parts-'));
const files = new Map(names.map((n) => {
  if (n === 'none') return [n, undefined] as const;
  const byHand = HAND_WRITTEN[n];
  if (byHand) {
    const file = join(dir, `${n}.nft`);
    writeFileSync(file, byHand);
    return [n, file] as const;
  }
  const file = join(dir, `${n}.json`);
  writeFileSync(file, asTransaction((VARIANTS[n] as (t: Listed[]) => Listed[])(listing)));
  return [n, file] as const;
}));
const lab = await Lab.create({ links: 1 });
const samples = new Map<string, number[]>();
try {
  await prepareServer(lab);
  const rounds = Number(values.rounds);
  for (let round = 0; round < rounds; round++) {
    // Rotated each round, so drift falls on every variant alike.
    for (let k = 0; k < names.length; k++) {
      const name = names[(round + k) % names.length] as string;
      await lab.exec('host', ['nft', 'flush', 'ruleset']);
      const file = files.get(name);
      if (file) await lab.exec('host', file.endsWith('.json') ? ['nft', '-j', '-f', file] : ['nft', '-f', file]);
      await lab.flushConntrack();
      samples.set(name, [...(samples.get(name) ?? []), await connectionRate(lab, Number(values.seconds))]);
    }
    console.error(`round ${round + 1}/${rounds}`);
  }
} finally {
  await lab.destroy();
  rmSync(dir, { recursive: true, force: true });
}
const base = median(samples.get(names[0] as string) ?? []);
console.log(`port ${PORT}; ratios against "${names[0]}"`);
for (const [name, s] of samples) console.log(`${name.padEnd(16)} ${median(s).toFixed(0).padStart(7)} conn/s  ${((median(s) / base) * 100).toFixed(1).padStart(5)} %   runs: ${s.map((x) => x.toFixed(0)).join(' ')}`);
