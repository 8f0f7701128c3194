// A port rule as the editor holds it (text fields, as typed) and its validation against the same
// schema the helper uses (NewPortRuleSchema): every issue is tied to the field it belongs to, as a
// code the editor translates, with the schema's own words kept as detail. Knocking and limits
// are kept in the draft while hidden (an outbound rule has neither), so switching back restores
// them, but only an inbound rule sends them.
import { NewPortRuleSchema } from '../../../../shared/policy/edits';
import type { PolicyEditInput } from '../../../../shared/policy/edits';
import type { Knocking, PortRule, RateLimit, ProfileName, RuleAction, RuleProtocol } from '../../../../shared/policy/schema';
import { PROFILE_NAMES } from '../../../../shared/policy/schema';
import { PRESETS, type PresetName } from '../../../../shared/policy/presets';
import { BOUNDS, checkDuration, defaultLimitDraft, durationDraft, durationProblem, limitDraft, parseWhole, validateLimit, type DurationDraft, type LimitDraft } from './durations';
import type { Problem } from './problems';

export type { Problem, ProblemCode } from './problems';

export type NewPortRule = Extract<PolicyEditInput, { op: 'addPortRule' }>['rule'];

export type ExpiryChoice = 'never' | 'hour' | 'day' | 'week' | 'at';
export const EXPIRY_CHOICES: readonly ExpiryChoice[] = ['never', 'hour', 'day', 'week', 'at'];
const EXPIRY_MS: Record<Exclude<ExpiryChoice, 'never' | 'at'>, number> = { hour: 3_600_000, day: 86_400_000, week: 7 * 86_400_000 };

export type Direction = 'in' | 'out';
export type KnockProtocol = 'tcp' | 'udp';
export interface KnockDraft { key: number; protocol: KnockProtocol; port: string }

export interface Draft {
  direction: Direction;
  action: RuleAction;
  protocol: RuleProtocol;
  /** "8080" or "8000-8100". */
  port: string;
  profiles: Record<ProfileName, boolean>;
  /** Remote networks, one per line; empty means any. */
  remote: string;
  alwaysOpen: boolean;
  expiry: ExpiryChoice;
  /** The value of a datetime-local input ("2026-11-21T18:00"), local time. */
  expiresAt: string;
  comment: string;
  enabled: boolean;
  /** Port knocking is on (inbound only). */
  knocking: boolean;
  knocks: KnockDraft[];
  /** Time allowed between one knock and the next. */
  knockWindow: DurationDraft;
  /** How long the port stays open for a source that knocked right. */
  knockOpen: DurationDraft;
  /** Brute-force limits are on (inbound only). */
  limiting: boolean;
  limit: LimitDraft;
}

export type Field =
  | 'direction' | 'port' | 'protocol' | 'action' | 'profiles' | 'remote' | 'alwaysOpen' | 'expires' | 'comment'
  | 'knock' | 'knockWindow' | 'knockOpen' | 'limit' | 'limitBlock' | 'form';

export type Problems = Partial<Record<Field, Problem[]>>;

let knockKey = 0;
export const newKnock = (protocol: KnockProtocol = 'tcp', port = ''): KnockDraft => ({ key: ++knockKey, protocol, port });

/** Knocking as it starts when switched on: one knock to fill in; 10 seconds between knocks, open for 30. */
const knockDefaults = () => ({ knocks: [newKnock()], knockWindow: { amount: '10', unit: 's' as const }, knockOpen: { amount: '30', unit: 's' as const } });

export const emptyDraft = (): Draft => ({
  direction: 'in', action: 'allow', protocol: 'tcp', port: '', profiles: { private: true, public: false }, remote: '',
  alwaysOpen: false, expiry: 'never', expiresAt: '', comment: '', enabled: true,
  knocking: false, ...knockDefaults(), limiting: false, limit: defaultLimitDraft(),
});

/** A preset ("SSH with brute-force protection") as a new rule to review, on the networks given. */
export function presetDraft(name: PresetName, profiles: ProfileName[]): Draft {
  const rule = PRESETS[name].rule(profiles);
  return {
    ...emptyDraft(),
    direction: rule.direction ?? 'in',
    action: rule.action,
    protocol: rule.protocol,
    port: rule.ports.from === rule.ports.to ? String(rule.ports.from) : `${rule.ports.from}-${rule.ports.to}`,
    profiles: { private: rule.profiles.includes('private'), public: rule.profiles.includes('public') },
    comment: rule.comment ?? '',
    ...(rule.limit ? { limiting: true, limit: limitDraft(rule.limit) } : {}),
  };
}

const pad = (n: number) => String(n).padStart(2, '0');

/** A date as a datetime-local input shows it, in local time. */
export function toLocalInput(date: Date): string {
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

export function formatPorts(ports: PortRule['ports']): string {
  return ports.from === ports.to ? String(ports.from) : `${ports.from}–${ports.to}`;
}

function knockDraft(knock: Knocking) {
  return { knocks: knock.sequence.map((k) => newKnock(k.protocol, String(k.port))), knockWindow: durationDraft(knock.windowSeconds), knockOpen: durationDraft(knock.openSeconds) };
}

export function draftFromRule(rule: PortRule): Draft {
  return {
    direction: rule.direction,
    action: rule.action,
    protocol: rule.protocol,
    port: rule.ports.from === rule.ports.to ? String(rule.ports.from) : `${rule.ports.from}-${rule.ports.to}`,
    profiles: { private: rule.profiles.includes('private'), public: rule.profiles.includes('public') },
    remote: rule.remote.join('\n'),
    alwaysOpen: rule.alwaysOpen,
    expiry: rule.expires ? 'at' : 'never',
    expiresAt: rule.expires ? toLocalInput(new Date(rule.expires)) : '',
    comment: rule.comment ?? '',
    enabled: rule.enabled,
    knocking: rule.knock !== undefined,
    ...(rule.knock ? knockDraft(rule.knock) : knockDefaults()),
    limiting: rule.limit !== undefined,
    limit: rule.limit ? limitDraft(rule.limit) : defaultLimitDraft(),
  };
}

/** The knocking a draft asks for, or its problems. */
function validateKnocking(draft: Draft, add: (field: Field, problem: Problem) => void): Knocking | undefined {
  let ok = true;
  const fail = (field: Field, problem: Problem) => { ok = false; add(field, problem); };
  if (!draft.knocks.length) fail('knock', { code: 'knockNone', detail: '' });
  if (draft.knocks.length > BOUNDS.knocks) fail('knock', { code: 'knockTooMany', detail: '', max: BOUNDS.knocks });
  const sequence = draft.knocks.map((k, i) => {
    const port = parseWhole(k.port);
    if (port === undefined || port < 1 || port > 65535) fail('knock', { code: 'knockPort', detail: k.port, line: i + 1, value: k.port.trim() });
    return { protocol: k.protocol, port: port ?? 1 };
  });
  const window = checkDuration(draft.knockWindow, BOUNDS.knockWindow);
  if ('problem' in window) fail('knockWindow', durationProblem(window.problem));
  const open = checkDuration(draft.knockOpen, BOUNDS.knockOpen);
  if ('problem' in open) fail('knockOpen', durationProblem(open.problem));
  if (!ok || !('seconds' in window) || !('seconds' in open)) return undefined;
  return { sequence, windowSeconds: window.seconds, openSeconds: open.seconds };
}

/** "80", "8000-8100" (also with "–" or ":"); undefined when it is not that shape. */
export function parsePorts(text: string): { from: number; to: number } | undefined {
  const match = /^\s*(\d+)\s*(?:[-–—:]\s*(\d+))?\s*$/.exec(text);
  if (!match) return undefined;
  const from = Number(match[1]);
  return { from, to: match[2] === undefined ? from : Number(match[2]) };
}

/** Validates a draft; `rule` is set only when there is no problem. */
export function validateDraft(draft: Draft, now: Date, id?: string): { rule?: NewPortRule; problems: Problems } {
  const problems: Problems = {};
  const add = (field: Field, problem: Problem) => {
    const list = (problems[field] ??= []);
    // "from" and "to" of a single port fail alike: say it once.
    if (!list.some((p) => p.code === problem.code && p.line === problem.line && p.detail === problem.detail)) list.push(problem);
  };

  const ports = parsePorts(draft.port);
  if (!draft.port.trim()) add('port', { code: 'portMissing', detail: '' });
  else if (!ports) add('port', { code: 'portFormat', detail: '', value: draft.port.trim() });

  // Remote networks keep the line they were typed on, so a problem can point at it.
  const remoteLines = draft.remote.split(/\r?\n/).map((text, i) => ({ text: text.trim(), line: i + 1 })).filter((l) => l.text);

  let expires: string | undefined;
  if (draft.expiry === 'at') {
    const at = draft.expiresAt ? new Date(draft.expiresAt) : undefined;
    if (!at) add('expires', { code: 'expiresMissing', detail: '' });
    else if (Number.isNaN(at.getTime())) add('expires', { code: 'expiresFormat', detail: draft.expiresAt });
    else if (at.getTime() <= now.getTime()) add('expires', { code: 'expiresPast', detail: draft.expiresAt });
    else expires = at.toISOString();
  } else if (draft.expiry !== 'never') {
    expires = new Date(now.getTime() + EXPIRY_MS[draft.expiry]).toISOString();
  }

  // Knocking, limits and "always open" are ways of letting connections in: an outbound rule has none.
  const inbound = draft.direction === 'in';
  const knock = inbound && draft.knocking ? validateKnocking(draft, add) : undefined;
  let limit: RateLimit | undefined;
  if (inbound && draft.limiting) {
    const checked = validateLimit(draft.limit);
    for (const { field, problem } of checked.problems) add(field, problem);
    limit = checked.limit;
  }

  const comment = draft.comment.trim();
  const candidate = {
    ...(id !== undefined ? { id } : {}),
    enabled: draft.enabled,
    direction: draft.direction,
    action: draft.action,
    protocol: draft.protocol,
    // An unreadable port is reported above; the schema still checks everything else.
    ports: ports ?? { from: 1, to: 1 },
    profiles: PROFILE_NAMES.filter((p) => draft.profiles[p]),
    remote: remoteLines.map((l) => l.text),
    alwaysOpen: inbound && draft.alwaysOpen,
    ...(expires !== undefined ? { expires } : {}),
    ...(comment ? { comment } : {}),
    ...(knock ? { knock } : {}),
    ...(limit ? { limit } : {}),
  };
  const parsed = NewPortRuleSchema.safeParse(candidate);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const [head, index] = issue.path;
      switch (head) {
        case 'ports':
          add('port', { code: issue.code === 'custom' ? 'portOrder' : 'portRange', detail: issue.message });
          break;
        case 'profiles':
          add('profiles', { code: 'profiles', detail: issue.message });
          break;
        case 'remote': {
          const line = typeof index === 'number' ? remoteLines[index] : undefined;
          const suggestion = /did you mean (\S+)\?/.exec(issue.message)?.[1];
          if (!line) add('remote', { code: 'remoteTooMany', detail: issue.message });
          else if (suggestion) add('remote', { code: 'remoteHostBits', detail: issue.message, line: line.line, value: line.text, suggestion });
          else add('remote', { code: 'remoteInvalid', detail: issue.message, line: line.line, value: line.text });
          break;
        }
        case 'alwaysOpen':
          add('alwaysOpen', { code: 'alwaysOpen', detail: issue.message });
          break;
        case 'expires':
          add('expires', { code: 'expiresFormat', detail: issue.message });
          break;
        case 'comment':
          add('comment', { code: 'comment', detail: issue.message });
          break;
        // The checks across fields (shared/policy/schema.ts portRuleProblems): knocking and limits need an inbound allow rule.
        case 'knock':
          add('knock', issue.path.length === 1 ? { code: 'knockNotAllowed', detail: issue.message } : { code: 'other', detail: `${issue.path.join('.')}: ${issue.message}` });
          break;
        case 'limit':
          add('limit', issue.path.length === 1 ? { code: 'limitNotAllowed', detail: issue.message } : { code: 'other', detail: `${issue.path.join('.')}: ${issue.message}` });
          break;
        default:
          add('form', { code: 'other', detail: `${issue.path.join('.')}: ${issue.message}`.replace(/^: /, '') });
      }
    }
  }
  if (Object.keys(problems).length || !parsed.success) return { problems };
  return { rule: candidate, problems };
}
