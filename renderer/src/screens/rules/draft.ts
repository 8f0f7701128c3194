// A port rule as the editor holds it (text fields, as typed) and its validation against the same
// schema the helper uses (NewPortRuleSchema): every issue is tied to the field it belongs to, as a
// code the editor translates, with the schema's own words kept as detail.
import { NewPortRuleSchema } from '../../../../shared/policy/edits';
import type { PolicyEditInput } from '../../../../shared/policy/edits';
import type { PortRule, ProfileName, RuleAction, RuleProtocol } from '../../../../shared/policy/schema';
import { PROFILE_NAMES } from '../../../../shared/policy/schema';

export type NewPortRule = Extract<PolicyEditInput, { op: 'addPortRule' }>['rule'];

export type ExpiryChoice = 'never' | 'hour' | 'day' | 'week' | 'at';
export const EXPIRY_CHOICES: readonly ExpiryChoice[] = ['never', 'hour', 'day', 'week', 'at'];
const EXPIRY_MS: Record<Exclude<ExpiryChoice, 'never' | 'at'>, number> = { hour: 3_600_000, day: 86_400_000, week: 7 * 86_400_000 };

export interface Draft {
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
}

export type Field = 'port' | 'protocol' | 'action' | 'profiles' | 'remote' | 'alwaysOpen' | 'expires' | 'comment' | 'form';

export type ProblemCode =
  | 'portMissing' | 'portFormat' | 'portRange' | 'portOrder' | 'profiles' | 'remoteHostBits' | 'remoteInvalid' | 'remoteTooMany' | 'alwaysOpen'
  | 'expiresMissing' | 'expiresFormat' | 'expiresPast' | 'comment' | 'other';

export interface Problem {
  code: ProblemCode;
  /** For remote networks: the line (1-based) the problem is on, and what it says. */
  line?: number;
  value?: string;
  /** The schema's message, or the text at fault. */
  detail: string;
  /** For a network with host bits set: the network that was probably meant. */
  suggestion?: string;
}

export type Problems = Partial<Record<Field, Problem[]>>;

export const emptyDraft = (): Draft => ({
  action: 'allow', protocol: 'tcp', port: '', profiles: { private: true, public: false }, remote: '',
  alwaysOpen: false, expiry: 'never', expiresAt: '', comment: '', enabled: true,
});

const pad = (n: number) => String(n).padStart(2, '0');

/** A date as a datetime-local input shows it, in local time. */
export function toLocalInput(date: Date): string {
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

export function formatPorts(ports: PortRule['ports']): string {
  return ports.from === ports.to ? String(ports.from) : `${ports.from}–${ports.to}`;
}

export function draftFromRule(rule: PortRule): Draft {
  return {
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
  };
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

  const comment = draft.comment.trim();
  const candidate = {
    ...(id !== undefined ? { id } : {}),
    enabled: draft.enabled,
    action: draft.action,
    protocol: draft.protocol,
    // An unreadable port is reported above; the schema still checks everything else.
    ports: ports ?? { from: 1, to: 1 },
    profiles: PROFILE_NAMES.filter((p) => draft.profiles[p]),
    remote: remoteLines.map((l) => l.text),
    alwaysOpen: draft.alwaysOpen,
    ...(expires !== undefined ? { expires } : {}),
    ...(comment ? { comment } : {}),
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
        default:
          add('form', { code: 'other', detail: `${issue.path.join('.')}: ${issue.message}`.replace(/^: /, '') });
      }
    }
  }
  if (Object.keys(problems).length || !parsed.success) return { problems };
  return { rule: candidate, problems };
}
