// Parsing what people type: port specs, profile lists, durations. Errors are UsageError (exit 2).
import { PROFILE_NAMES, type ProfileName, type PortRange, type RuleProtocol } from '../../shared/policy/schema';

export class UsageError extends Error {
  override name = 'UsageError';
}

/** `8000`, `8000-8010`, `22/tcp`, `5353/udp`; no protocol (or `/tcp+udp`) means both, as with ufw. */
export function parsePortSpec(text: string): { ports: PortRange; protocol: RuleProtocol } {
  const m = /^(\d{1,5})(?:-(\d{1,5}))?(?:\/(tcp|udp|tcp\+udp))?$/.exec(text.trim().toLowerCase());
  if (!m) throw new UsageError(`"${text}" is not a port: use PORT, PORT-PORT, and optionally /tcp or /udp (e.g. 8000-8010/tcp)`);
  const from = Number(m[1]);
  const to = m[2] === undefined ? from : Number(m[2]);
  for (const p of [from, to]) if (p < 1 || p > 65535) throw new UsageError(`port ${p} is out of range (1–65535)`);
  if (from > to) throw new UsageError(`"${text}": the range must go from low to high`);
  const protocol = m[3] === 'tcp' || m[3] === 'udp' ? m[3] : 'both';
  return { ports: { from, to }, protocol };
}

export function formatPortSpec(ports: PortRange, protocol: RuleProtocol): string {
  const range = ports.from === ports.to ? `${ports.from}` : `${ports.from}-${ports.to}`;
  return protocol === 'both' ? `${range}/tcp+udp` : `${range}/${protocol}`;
}

/** `private`, `public`, `private,public` or `all`. */
export function parseProfiles(text: string): ProfileName[] {
  if (text.trim().toLowerCase() === 'all') return [...PROFILE_NAMES];
  const names = text.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);
  if (!names.length) throw new UsageError('--profile needs private, public, or both separated by a comma');
  for (const n of names) if (!(PROFILE_NAMES as readonly string[]).includes(n)) throw new UsageError(`unknown profile "${n}": use private, public or all`);
  return [...new Set(names)] as ProfileName[];
}

/** `90s`, `10m`, `1h`, `2d`, or plain seconds. */
export function parseDuration(text: string): number {
  const m = /^(\d+)\s*(s|m|h|d)?$/.exec(text.trim().toLowerCase());
  if (!m) throw new UsageError(`"${text}" is not a duration: use e.g. 90s, 10m, 1h or 2d`);
  const unit = { s: 1, m: 60, h: 3600, d: 86400 }[(m[2] ?? 's') as 's' | 'm' | 'h' | 'd'];
  const seconds = Number(m[1]) * unit;
  if (seconds <= 0) throw new UsageError('a duration must be longer than zero');
  return seconds;
}

export function onOff(word: string | undefined, on: string, off: string): boolean {
  if (word === on) return true;
  if (word === off) return false;
  throw new UsageError(`expected "${on}" or "${off}"${word ? `, not "${word}"` : ''}`);
}

/** The text form of a number of seconds, in the largest unit that divides it (parseDuration reads it back). */
export function formatDuration(seconds: number): string {
  for (const [unit, size] of [['d', 86400], ['h', 3600], ['m', 60]] as const) {
    if (seconds >= size && seconds % size === 0) return `${seconds / size}${unit}`;
  }
  return `${seconds}s`;
}

/** A duration option checked against the policy's bounds, so the mistake is told before anything is sent. */
export function parseBoundedDuration(text: string, option: string, maxSeconds: number): number {
  const seconds = parseDuration(text);
  if (seconds > maxSeconds) throw new UsageError(`${option} can be at most ${formatDuration(maxSeconds)}, not ${text.trim()}`);
  return seconds;
}

export const MAX_KNOCKS = 8;
export const MAX_RATES = 4;
/** The policy's bounds (shared/policy/schema.ts), as the CLI reports them. */
export const BOUNDS = {
  knockWindow: 3600,
  knockOpen: 86400,
  ratePeriod: 86400,
  rateCount: 100_000,
  block: 7 * 86400,
  scanWithin: 3600,
  scanPorts: { min: 2, max: 10_000 },
} as const;

export interface KnockSpec { protocol: 'tcp' | 'udp'; port: number }

/** `7001/tcp,7002/udp,7003` (a knock with no protocol is TCP). */
export function parseKnocks(text: string): KnockSpec[] {
  const items = text.split(',').map((s) => s.trim());
  if (items.some((s) => !s)) throw new UsageError(`"${text}" is not a knock sequence: list ports separated by commas, like 7001/tcp,7002/udp,7003/tcp`);
  if (items.length > MAX_KNOCKS) throw new UsageError(`a knock sequence has at most ${MAX_KNOCKS} knocks, not ${items.length}`);
  return items.map((item) => {
    const m = /^(\d{1,5})(?:\/(tcp|udp))?$/.exec(item.toLowerCase());
    if (!m) throw new UsageError(`"${item}" is not a knock: use PORT/tcp or PORT/udp, one port each (e.g. 7001/tcp)`);
    const port = Number(m[1]);
    if (port < 1 || port > 65535) throw new UsageError(`knock port ${port} is out of range (1–65535)`);
    return { protocol: m[2] === 'udp' ? 'udp' : 'tcp', port };
  });
}

export function formatKnocks(sequence: readonly KnockSpec[]): string {
  return sequence.map((k) => `${k.port}/${k.protocol}`).join(',');
}

export interface RateSpec { count: number; seconds: number }

/**
 * `3/10s`, `4/30m`, `10/m` (a bare unit is one of it); several rates separated by commas or
 * given as repeated --limit options.
 */
export function parseRates(texts: readonly string[]): RateSpec[] {
  const items = texts.flatMap((t) => t.split(',')).map((s) => s.trim());
  if (!items.length || items.some((s) => !s)) throw new UsageError('--limit needs COUNT/DURATION, like 3/10s, or several separated by commas (3/10s,4/30m)');
  if (items.length > MAX_RATES) throw new UsageError(`at most ${MAX_RATES} rates in --limit, not ${items.length}`);
  return items.map((item) => {
    const m = /^(\d+)\s*\/\s*(.+)$/.exec(item);
    if (!m) throw new UsageError(`"${item}" is not a rate: use COUNT/DURATION, like 3/10s (at most 3 new connections in 10 seconds)`);
    const count = Number(m[1]);
    if (count < 1 || count > BOUNDS.rateCount) throw new UsageError(`"${item}": the count must be from 1 to ${BOUNDS.rateCount}`);
    const period = (m[2] as string).trim();
    const seconds = parseBoundedDuration(/^[smhd]$/i.test(period) ? `1${period}` : period, `the period of "${item}"`, BOUNDS.ratePeriod);
    return { count, seconds };
  });
}

export function formatRates(rates: readonly RateSpec[]): string {
  return rates.map((r) => `${r.count}/${formatDuration(r.seconds)}`).join(',');
}

/** A whole number within bounds, for options like --ports and --limit N. */
export function parseCount(text: string, option: string, min: number, max: number): number {
  if (!/^\d+$/.test(text.trim())) throw new UsageError(`${option} needs a whole number, not "${text}"`);
  const n = Number(text.trim());
  if (n < min || n > max) throw new UsageError(`${option} must be from ${min} to ${max}, not ${n}`);
  return n;
}
