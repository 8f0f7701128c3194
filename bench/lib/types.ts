// What every benchmark returns, so one runner can print the table and write docs/benchmarks.md.

export interface BenchContext {
  /** `npm run bench -- --quick`: fewer repetitions and trials, the whole run under five minutes. */
  quick: boolean;
  /** Progress for the person watching (stderr); figures go in the returned section. */
  log(message: string): void;
}

/** One measured quantity: every sample is kept, the report derives median and spread. */
export interface Figure {
  /** What was measured, e.g. "Palisade, D-Bus call, 1,000 rules". */
  label: string;
  unit: 'ms' | 'µs' | 'conn/s' | '%' | 'MB' | 'fps';
  samples: number[];
  /** Also print these percentiles (e.g. [50, 99] for latency distributions). */
  percentiles?: number[];
}

/** A target from the issue, checked against a figure of this run. */
export interface TargetCheck {
  label: string;
  /** The number compared with the goal (a ratio, a percentile, a median...). */
  measured: number;
  unit: string;
  op: '>=' | '<=';
  goal: number;
}

/** A ratio against the comparison measured in the same run. */
export interface Ratio {
  label: string;
  value: number;
}

export interface BenchSection {
  id: string;
  title: string;
  /** How it was measured, in a sentence or three of Markdown. */
  method: string;
  figures: Figure[];
  ratios: Ratio[];
  targets: TargetCheck[];
  /** Findings worth keeping: why a target was missed, what was changed, caveats. */
  notes: string[];
}

export interface Benchmark {
  id: string;
  title: string;
  run(ctx: BenchContext): Promise<BenchSection>;
}
