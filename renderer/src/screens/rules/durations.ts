// Times as the editors hold them (a number as typed and a unit) and as people read them, and
// brute-force limits as drafts: "at most N new connections per T", up to four, then a block
// time. Checked against the same bounds the policy schema has; problems come as codes the
// screens translate.
import type { RateLimit } from '../../../../shared/policy/schema';
import type { Problem } from './problems';

export type DurationUnit = 's' | 'min' | 'h';
export const DURATION_UNITS: readonly DurationUnit[] = ['s', 'min', 'h'];
const UNIT_SECONDS: Record<DurationUnit, number> = { s: 1, min: 60, h: 3600 };

export interface DurationDraft { amount: string; unit: DurationUnit }

/** The schema's bounds (shared/policy/schema.ts): knock window and open time, rate periods, block times. */
export const BOUNDS = {
  knockWindow: { min: 1, max: 3600 },
  knockOpen: { min: 1, max: 86_400 },
  ratePeriod: { min: 1, max: 86_400 },
  rateCount: { min: 1, max: 100_000 },
  block: { min: 1, max: 7 * 86_400 },
  scanWithin: { min: 1, max: 3600 },
  scanPorts: { min: 2, max: 10_000 },
  knocks: 8,
  rates: 4,
} as const;

/** A duration in the largest unit that shows it whole: 600 → 10 min, 45 → 45 s. */
export function durationDraft(seconds: number): DurationDraft {
  const unit: DurationUnit = seconds % 3600 === 0 ? 'h' : seconds % 60 === 0 ? 'min' : 's';
  return { amount: String(seconds / UNIT_SECONDS[unit]), unit };
}

/** A whole number as typed ("1,000" and spaces allowed); undefined for anything else. */
export function parseWhole(text: string): number | undefined {
  const cleaned = text.replace(/[\s,_]/g, '');
  if (!/^\d{1,9}$/.test(cleaned)) return undefined;
  return Number(cleaned);
}

export function durationSeconds(d: DurationDraft): number | undefined {
  const n = parseWhole(d.amount);
  return n === undefined ? undefined : n * UNIT_SECONDS[d.unit];
}

export type DurationProblem = { code: 'durationFormat' } | { code: 'durationRange'; minSeconds: number; maxSeconds: number };

/** Seconds, or what is wrong with the duration. */
export function checkDuration(d: DurationDraft, bounds: { min: number; max: number }): { seconds: number } | { problem: DurationProblem } {
  const seconds = durationSeconds(d);
  if (seconds === undefined) return { problem: { code: 'durationFormat' } };
  if (seconds < bounds.min || seconds > bounds.max) return { problem: { code: 'durationRange', minSeconds: bounds.min, maxSeconds: bounds.max } };
  return { seconds };
}

const DAY = 86_400;

/** "10 seconds", "30 minutes", "2 hours", "1 day" (or short: "10 sec"), in the language given. */
export function formatDuration(seconds: number, language: string, display: 'long' | 'short' = 'long'): string {
  const [unit, value] = seconds % DAY === 0 ? ['day', seconds / DAY] as const
    : seconds % 3600 === 0 ? ['hour', seconds / 3600] as const
      : seconds % 60 === 0 ? ['minute', seconds / 60] as const
        : ['second', seconds] as const;
  return new Intl.NumberFormat(language, { style: 'unit', unit, unitDisplay: display }).format(value);
}

// ---- brute-force limits ---------------------------------------------------------------------

export interface RateDraft { key: number; count: string; period: DurationDraft }
export interface LimitDraft { rates: RateDraft[]; block: DurationDraft }

let rateKey = 0;
export const newRateKey = () => ++rateKey;

/** A first limit to start from: the source article's "3 in 10 seconds", then 30 minutes blocked. */
export function defaultLimitDraft(): LimitDraft {
  return { rates: [{ key: newRateKey(), count: '3', period: { amount: '10', unit: 's' } }], block: { amount: '30', unit: 'min' } };
}

export function limitDraft(limit: RateLimit): LimitDraft {
  return {
    rates: limit.rates.map((r) => ({ key: newRateKey(), count: String(r.count), period: durationDraft(r.seconds) })),
    block: durationDraft(limit.blockSeconds),
  };
}

/** Where a limit's problem belongs: the rates, or the block time. */
export type LimitField = 'limit' | 'limitBlock';

export function durationProblem(problem: DurationProblem): Problem {
  return problem.code === 'durationFormat' ? { code: 'durationFormat', detail: '' } : { code: 'durationRange', detail: '', minSeconds: problem.minSeconds, maxSeconds: problem.maxSeconds };
}

export function validateLimit(draft: LimitDraft): { limit?: RateLimit; problems: { field: LimitField; problem: Problem }[] } {
  const problems: { field: LimitField; problem: Problem }[] = [];
  const add = (field: LimitField, problem: Problem) => problems.push({ field, problem });
  if (!draft.rates.length) add('limit', { code: 'limitNone', detail: '' });
  if (draft.rates.length > BOUNDS.rates) add('limit', { code: 'limitTooMany', detail: '', max: BOUNDS.rates });
  const rates: RateLimit['rates'] = [];
  draft.rates.forEach((r, i) => {
    const line = i + 1;
    const count = parseWhole(r.count);
    const countOk = count !== undefined && count >= BOUNDS.rateCount.min && count <= BOUNDS.rateCount.max;
    if (!countOk) add('limit', { code: 'rateCount', detail: r.count, line, value: r.count.trim(), min: BOUNDS.rateCount.min, max: BOUNDS.rateCount.max });
    const period = checkDuration(r.period, BOUNDS.ratePeriod);
    if ('problem' in period) {
      add('limit', period.problem.code === 'durationFormat'
        ? { code: 'ratePeriodFormat', detail: r.period.amount, line, value: r.period.amount.trim() }
        : { code: 'ratePeriodRange', detail: r.period.amount, line, minSeconds: period.problem.minSeconds, maxSeconds: period.problem.maxSeconds });
    }
    if (countOk && 'seconds' in period) rates.push({ count, seconds: period.seconds });
  });
  const block = checkDuration(draft.block, BOUNDS.block);
  if ('problem' in block) add('limitBlock', durationProblem(block.problem));
  if (problems.length || !('seconds' in block)) return { problems };
  return { limit: { rates, blockSeconds: block.seconds }, problems };
}
