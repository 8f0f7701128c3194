// `npm test`: every suite in order, then proof that the run left the machine as it found it —
// the host's own ruleset unchanged, no lab namespace and no lab process left behind.
import { spawnSync, execFileSync } from 'node:child_process';

const SUITES: { name: string; argv: string[]; needsRoot?: boolean }[] = [
  { name: 'lint', argv: ['npx', 'eslint', '.'] },
  { name: 'typecheck', argv: ['npm', 'run', '--silent', 'typecheck'] },
  { name: 'policy schema file is current', argv: ['npx', 'tsx', 'scripts/generate-policy-schema.ts', '--check'] },
  { name: 'unit', argv: ['npx', 'vitest', 'run', '--project', 'unit'] },
  { name: 'kernel (nftables in namespaces)', argv: ['npx', 'vitest', 'run', '--project', 'kernel'], needsRoot: true },
  { name: 'scanner (nmap against the truth table)', argv: ['npx', 'tsx', 'test/scanner/run.ts'], needsRoot: true },
  { name: 'system (palisaded + real polkitd + CLI + nmap)', argv: ['npx', 'vitest', 'run', '--project', 'system'], needsRoot: true },
  { name: 'ui (the renderer in Chromium against the lab; screenshots)', argv: ['npx', 'vitest', 'run', '--project', 'ui'], needsRoot: true },
  { name: 'electron (Playwright _electron; skipped with a reason without a binary)', argv: ['npx', 'vitest', 'run', '--project', 'electron'] },
];

const hostRuleset = () => execFileSync('nft', ['list', 'ruleset'], { encoding: 'utf8' });
const labNamespaces = () => execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }).split('\n').filter((l) => l.startsWith('plab-'));
const labProcesses = () => execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' }).split('\n')
  .filter((l) => /test\/lab\/listener\.cjs|nmap .*-oX -|electron\/helper\/run\.ts|palisade-bus-|polkitd|chromium .*--headless/.test(l) && !/<defunct>/.test(l));

if (process.getuid?.() !== 0) {
  console.error('The kernel and scanner suites create network namespaces and need root: run `sudo ./dev.sh test`.');
  process.exit(2);
}

const rulesetBefore = hostRuleset();
const results: { name: string; ok: boolean; seconds: number }[] = [];
for (const suite of SUITES) {
  console.log(`\n=== ${suite.name}: ${suite.argv.join(' ')}`);
  const started = Date.now();
  const res = spawnSync(suite.argv[0] as string, suite.argv.slice(1), { stdio: 'inherit' });
  results.push({ name: suite.name, ok: res.status === 0, seconds: (Date.now() - started) / 1000 });
}

const hygiene: string[] = [];
if (hostRuleset() !== rulesetBefore) hygiene.push('the host\'s own ruleset changed during the run');
const ns = labNamespaces();
if (ns.length) hygiene.push(`lab namespaces left behind: ${ns.join(', ')}`);
const procs = labProcesses();
if (procs.length) hygiene.push(`lab processes left behind:\n${procs.join('\n')}`);
results.push({ name: 'host untouched, nothing left behind', ok: hygiene.length === 0, seconds: 0 });

console.log('\n=== summary');
for (const r of results) console.log(`${r.ok ? 'ok  ' : 'FAIL'}  ${r.name}${r.seconds ? ` (${r.seconds.toFixed(1)} s)` : ''}`);
for (const h of hygiene) console.log(`  - ${h}`);
process.exit(results.every((r) => r.ok) ? 0 : 1);
