// Validation at every boundary: policy files, D-Bus and IPC payloads all come through here.
// A refused document lists every offending path with its reason; nothing is partially taken.
import type { z } from 'zod';
import { PolicySchema, type Policy } from './schema';
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

/** Rules the JSON Schema cannot express: ids and identities must be unique across the document. */
function crossReferenceIssues(policy: Policy): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const ids = new Map<string, string>();
  const claimId = (id: string, path: string) => {
    const first = ids.get(id);
    if (first) issues.push({ path, message: `id "${id}" is already used by ${first}` });
    else ids.set(id, path);
  };
  const appKeys = new Map<string, string>();
  policy.apps.forEach((app, i) => {
    claimId(app.id, `apps[${i}]`);
    const key = appKey(app.identity);
    const first = appKeys.get(key);
    if (first) issues.push({ path: `apps[${i}].identity`, message: `the same app is already listed as ${first}; an app has one entry` });
    else appKeys.set(key, `apps[${i}]`);
  });
  policy.portRules.forEach((rule, i) => claimId(rule.id, `portRules[${i}].id`));
  const nets = new Map<string, string>();
  policy.networks.forEach((net, i) => {
    const key = networkKey(net.identity);
    const first = nets.get(key);
    if (first) issues.push({ path: `networks[${i}].identity`, message: `the same network is already listed as ${first}` });
    else nets.set(key, `networks[${i}]`);
  });
  return issues;
}

/** Validates an untrusted value (parsed JSON) and fills in defaults. */
export function validatePolicy(input: unknown): ValidationResult<Policy> {
  const parsed = PolicySchema.safeParse(input);
  if (!parsed.success) {
    return { ok: false, issues: parsed.error.issues.map((issue) => ({ path: formatPath(issue.path), message: issueMessage(issue) })) };
  }
  const issues = crossReferenceIssues(parsed.data);
  return issues.length ? { ok: false, issues } : { ok: true, value: parsed.data };
}

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
