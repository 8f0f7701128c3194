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
