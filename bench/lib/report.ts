// The figures as a terminal table and as docs/benchmarks.md.
import { formatNumber, percentile, summarize } from './stats';
import type { Machine } from './machine';
import type { BenchSection, Figure, TargetCheck } from './types';

const met = (t: TargetCheck): boolean => (t.op === '>=' ? t.measured >= t.goal : t.measured <= t.goal);

function figureCells(f: Figure): string[] {
  const s = summarize(f.samples);
  const extra = (f.percentiles ?? []).map((q) => `p${q} ${formatNumber(percentile(f.samples, q))}`).join(', ');
  return [f.label, `${formatNumber(s.median)} ${f.unit}`, `${formatNumber(s.p25)}–${formatNumber(s.p75)}`, `${formatNumber(s.min)}–${formatNumber(s.max)}`, String(s.n), extra];
}

const targetText = (t: TargetCheck): string => `${met(t) ? 'met' : 'MISSED'}: ${t.label}: ${formatNumber(t.measured)} ${t.unit} (target ${t.op === '>=' ? '≥' : '≤'} ${formatNumber(t.goal)} ${t.unit})`;

/** A plain-text table per section, for the terminal. */
export function terminalReport(sections: readonly BenchSection[]): string {
  const lines: string[] = [];
  for (const section of sections) {
    lines.push('', `== ${section.title}`);
    const rows = [['', 'median', 'IQR', 'min–max', 'n', ''], ...section.figures.map(figureCells)];
    const widths = (rows[0] ?? []).map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
    for (const r of rows) lines.push(r.map((cell, c) => cell.padEnd(widths[c] ?? 0)).join('  ').trimEnd());
    for (const r of section.ratios) lines.push(`ratio: ${r.label}: ${formatNumber(r.value)}`);
    for (const t of section.targets) lines.push(targetText(t));
  }
  return lines.join('\n');
}

export interface ReportInput {
  machine: Machine;
  quick: boolean;
  startedAt: Date;
  minutes: number;
  sections: readonly BenchSection[];
  failures: readonly { title: string; error: string }[];
  /** Hand-written: what the figures led to (bench/findings.md), kept across runs. */
  findings: string;
}

const cell = (text: string) => text.replace(/\|/g, '\\|');

/** docs/benchmarks.md: the machine, the method and the results of this run. */
export function markdownReport(r: ReportInput): string {
  const m = r.machine;
  const out: string[] = [
    '# Benchmarks',
    '',
    `Written by \`npm run bench${r.quick ? ' -- --quick' : ''}\` on ${r.startedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC (${formatNumber(r.minutes)} min). `
      + 'Every benchmark runs in the lab\'s own network namespaces; every figure keeps all its samples and is summarised by the median, the interquartile range (IQR) and the extremes. '
      + 'Ratios compare with the alternative measured in the same run.',
    '',
    '## Machine',
    '',
    `- ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB; ${m.os}; Linux ${m.kernel}`,
    `- ${Object.entries(m.tools).map(([k, v]) => `${k} ${v}`).join(', ')}`,
    '',
    '## Targets',
    '',
    '| | measured | target | |',
    '|---|---|---|---|',
    ...r.sections.flatMap((s) => s.targets.map((t) => `| ${cell(t.label)} | ${formatNumber(t.measured)} ${t.unit} | ${t.op === '>=' ? '≥' : '≤'} ${formatNumber(t.goal)} ${t.unit} | ${met(t) ? 'met' : '**missed**'} |`)),
    '',
  ];
  for (const f of r.failures) out.push(`**${f.title} failed to run:** ${f.error}`, '');
  for (const s of r.sections) {
    out.push(`## ${s.title}`, '', s.method, '', '| | median | IQR | min–max | n | |', '|---|---|---|---|---|---|');
    for (const f of s.figures) out.push(`| ${figureCells(f).map(cell).join(' | ')} |`);
    out.push('');
    for (const ratio of s.ratios) out.push(`- Ratio, ${ratio.label}: **${formatNumber(ratio.value)}**`);
    for (const t of s.targets) out.push(`- ${targetText(t)}`);
    for (const n of s.notes) out.push(`- ${n}`);
    out.push('');
  }
  out.push(r.findings.trim());
  return `${out.join('\n').trimEnd()}\n`;
}
