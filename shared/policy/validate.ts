// Validation at every boundary: policy files, D-Bus and IPC payloads all come through here.
// A refused document lists every offending path with its reason; nothing is partially taken.
import { z } from 'zod';
import { AppIdentitySchema, NetworkIdentitySchema, PolicySchema, type Policy } from './schema';
import { appKey, networkKey } from './identity';

export interface ValidationIssue {
  /** Dotted path into the document, e.g. `portRules[2].ports.to`; empty for the root. */
  path: string;
  message: string;
}

export type ValidationResult<T> = { ok: true; value: T } | { ok: false; issues: ValidationIssue[] };

export class PolicyValidationError extends Error {
  constructor(readonly issues: ValidationIssue[]) {
    super(`invalid policy:\n${issues.map((i) => `  ${i.path || '(document)'}: ${i.message}`).join('\n')}`);
    this.name = 'PolicyValidationError';
  }
}

export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out ? `.${String(key)}` : String(key);
  }
  return out;
}

function issueMessage(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') {
    return `unknown ${issue.keys.length === 1 ? 'field' : 'fields'} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
  }
  if (issue.code === 'invalid_key') {
    return `bad key: ${issue.issues.map((inner) => issueMessage(inner)).join('; ')}`;
  }
  // zod prefixes its messages with "Invalid input: " / "Invalid option: "; the path already says where.
  return issue.message.replace(/^Invalid (input|option): /, '').replace(/"\|"/g, '", "');
}

const asArray = (x: unknown): unknown[] => (Array.isArray(x) ? x : []);
const field = (x: unknown, key: string): unknown => (x !== null && typeof x === 'object' ? (x as Record<string, unknown>)[key] : undefined);

/**
 * Rules the JSON Schema cannot express: ids and identities must be unique across the document.
 * Works on the raw input too, so a document with other errors still gets these reported.
 */
function crossReferenceIssues(input: unknown): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const ids = new Map<string, string>();
  const claimId = (id: unknown, path: string) => {
    if (typeof id !== 'string') return;
    const first = ids.get(id);
    if (first) issues.push({ path, message: `id "${id}" is already used by ${first}` });
    else ids.set(id, path.replace(/\.id$/, ''));
  };
  const claimKey = (seen: Map<string, string>, key: string | null, path: string, duplicate: (first: string) => string) => {
    if (key === null) return;
    const first = seen.get(key);
    if (first) issues.push({ path, message: duplicate(first) });
    else seen.set(key, path.replace(/\.identity$/, ''));
  };
  const appKeys = new Map<string, string>();
  asArray(field(input, 'apps')).forEach((app, i) => {
    claimId(field(app, 'id'), `apps[${i}].id`);
    const identity = AppIdentitySchema.safeParse(field(app, 'identity'));
    claimKey(appKeys, identity.success ? appKey(identity.data) : null, `apps[${i}].identity`, (first) => `the same app is already listed as ${first}; an app has one entry`);
  });
  asArray(field(input, 'portRules')).forEach((rule, i) => claimId(field(rule, 'id'), `portRules[${i}].id`));
  const networks = new Map<string, string>();
  asArray(field(input, 'networks')).forEach((net, i) => {
    const identity = NetworkIdentitySchema.safeParse(field(net, 'identity'));
    claimKey(networks, identity.success ? networkKey(identity.data) : null, `networks[${i}].identity`, (first) => `the same network is already listed as ${first}`);
  });
  return issues;
}

/**
 * Rules, apps and networks that came out of a successful validation, frozen so that they stay
 * valid. A policy edit builds a new document from the old one's entries plus the edited ones:
 * only those need the schema again. At 1,000 rules this turns a rule change's two full
 * validations (the edit, then the file write) into one entry each (bench/findings.md).
 */
const validEntries = new WeakSet<object>();
const LISTS = ['apps', 'portRules', 'networks'] as const;

function deepFreeze(value: unknown): void {
  if (value === null || typeof value !== 'object' || Object.isFrozen(value)) return;
  Object.freeze(value);
  for (const inner of Object.values(value)) deepFreeze(inner);
}

function rememberValidEntries(policy: Policy): void {
  for (const list of LISTS) {
    for (const entry of policy[list]) {
      deepFreeze(entry);
      validEntries.add(entry);
    }
  }
}

/**
 * The schema's verdict on a document whose list entries are partly known to be valid: those are
 * left out of the parse and put back in their places. Entries are checked on their own (no
 * schema rule looks across entries; crossReferenceIssues does that on the whole document), so
 * the verdict is the full parse's. Undefined when that parse is needed anyway: nothing known, or
 * issues whose paths must point into the whole lists.
 */
function parseWithKnownEntries(input: unknown): Policy | undefined {
  if (input === null || typeof input !== 'object') return undefined;
  const doc = input as Record<string, unknown>;
  const lists = LISTS.map((name) => (Array.isArray(doc[name]) ? (doc[name] as unknown[]) : undefined));
  const known = (entry: unknown) => typeof entry === 'object' && entry !== null && validEntries.has(entry);
  if (!lists.some((list) => list?.some(known))) return undefined;
  const reduced: Record<string, unknown> = { ...doc };
  LISTS.forEach((name, i) => { if (lists[i]) reduced[name] = lists[i].filter((entry) => !known(entry)); });
  const parsed = PolicySchema.safeParse(reduced);
  if (!parsed.success) return undefined;
  const result: Record<string, unknown> = { ...parsed.data };
  LISTS.forEach((name, i) => {
    const list = lists[i];
    if (!list) return;
    const fresh = (parsed.data[name] as unknown[])[Symbol.iterator]();
    result[name] = list.map((entry) => (known(entry) ? entry : fresh.next().value));
  });
  return result as Policy;
}

/** Validates an untrusted value (parsed JSON) and fills in defaults. */
export function validatePolicy(input: unknown): ValidationResult<Policy> {
  const crossIssues = crossReferenceIssues(input);
  const quick = crossIssues.length ? undefined : parseWithKnownEntries(input);
  if (quick) {
    rememberValidEntries(quick);
    return { ok: true, value: quick };
  }
  const parsed = PolicySchema.safeParse(input);
  const issues = parsed.success ? [] : parsed.error.issues.map((issue) => ({ path: formatPath(issue.path), message: issueMessage(issue) }));
  issues.push(...crossIssues);
  if (issues.length || !parsed.success) return { ok: false, issues };
  rememberValidEntries(parsed.data);
  return { ok: true, value: parsed.data };
}

/**
 * A zod schema for "a valid policy", cross-document rules included, for boundaries that check
 * their input with zod (the D-Bus contract): every issue becomes an issue of the argument.
 */
export const ValidPolicySchema = z.unknown().transform((input, ctx) => {
  const result = validatePolicy(input);
  if (result.ok) return result.value;
  for (const issue of result.issues) ctx.addIssue({ code: 'custom', message: `${issue.path || '(document)'}: ${issue.message}` });
  return z.NEVER;
});

/** Like validatePolicy, but throws PolicyValidationError listing every issue. */
export function parsePolicy(input: unknown): Policy {
  const result = validatePolicy(input);
  if (!result.ok) throw new PolicyValidationError(result.issues);
  return result.value;
}

/** Parses policy file text: JSON syntax errors are reported like any other issue. */
export function parsePolicyText(text: string): ValidationResult<Policy> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return { ok: false, issues: [{ path: '', message: `not valid JSON: ${(err as Error).message}` }] };
  }
  return validatePolicy(json);
}
