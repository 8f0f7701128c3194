// `npm run bench [-- --quick] [-- --only id,id]`: every benchmark in turn, a table of figures,
// and docs/benchmarks.md with the machine, the method and the results.
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { describeMachine } from './lib/machine';
import { markdownReport, terminalReport } from './lib/report';
import type { BenchSection, Benchmark } from './lib/types';
import { benchmark as ruleChange } from './rule-change';
import { benchmark as profileSwitch } from './profile-switch';
import { benchmark as listenReachable } from './listen-reachable';
import { benchmark as packetPath } from './packet-path';
import { benchmark as socketSnapshot } from './socket-snapshot';
import { benchmark as helperAtRest } from './helper-at-rest';
import { benchmark as ui } from './ui';

const BENCHMARKS: readonly Benchmark[] = [ruleChange, profileSwitch, listenReachable, packetPath, socketSnapshot, helperAtRest, ui];
const REPORT = fileURLToPath(new URL('../docs/benchmarks.md', import.meta.url));
const FINDINGS = fileURLToPath(new URL('./findings.md', import.meta.url));

const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false }, only: { type: 'string' }, 'no-report': { type: 'boolean', default: false } } });
if (process.getuid?.() !== 0) {
  console.error('The benchmarks build network namespaces and need root: sudo ./dev.sh bench');
  process.exit(2);
}
const only = values.only?.split(',');
const selected = only ? BENCHMARKS.filter((b) => only.includes(b.id)) : BENCHMARKS;
const startedAt = new Date();
const sections: BenchSection[] = [];
const failures: { title: string; error: string }[] = [];
for (const b of selected) {
  const started = Date.now();
  console.error(`\n>>> ${b.title}${values.quick ? ' (quick)' : ''}`);
  try {
    const section = await b.run({ quick: values.quick, log: (m) => console.error(`    ${m}`) });
    sections.push(section);
    console.log(terminalReport([section]));
  } catch (err) {
    failures.push({ title: b.title, error: (err as Error).message });
    console.error(`!!! ${b.title} failed: ${(err as Error).stack ?? String(err)}`);
  }
  console.error(`    (${((Date.now() - started) / 1000).toFixed(0)} s)`);
}
const minutes = (Date.now() - startedAt.getTime()) / 60_000;
console.log(`\n${terminalReport(sections)}\n\n${minutes.toFixed(1)} min`);
// A partial run (--only) must not replace the full report with a few sections.
if (!values['no-report'] && !only) {
  writeFileSync(REPORT, markdownReport({ machine: describeMachine(), quick: values.quick, startedAt, minutes, sections, failures, findings: readFileSync(FINDINGS, 'utf8') }));
  console.log(`wrote ${REPORT}`);
}
process.exit(failures.length ? 1 : 0);
