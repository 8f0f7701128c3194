// Policy edits: the changes a client may ask the helper for, as data. The GUI, the tray and the
// CLI all speak in edits; the helper applies a list of them to its policy in one step, so
// concurrent clients cannot overwrite each other's work with stale whole documents.
import { z } from 'zod';
import {
  AppIdentitySchema, IdSchema, InterfaceNameSchema, PortRuleFieldsSchema, ProfileNameSchema, ProfileSettingsPatchSchema, checkPortRule, RateLimitSchema,
  RuleActionSchema, type AppIdentity, type KnownNetwork, type Policy, type PortRule, type ProfileName,
} from './schema';
import { appDisplayName, appKey, networkKey } from './identity';
import { defaultPolicy } from './defaults';
import { formatPath, parsePolicy } from './validate';
import type { ActiveNetwork } from '../runtime/networks';

const ProfileListSchema = z.array(ProfileNameSchema);

/** A port rule as a client proposes it: the helper gives it an id when it has none. */
export const NewPortRuleSchema = PortRuleFieldsSchema.extend({ id: IdSchema.optional() }).superRefine(checkPortRule);

export const PolicyEditSchema = z.discriminatedUnion('op', [
  z.strictObject({ op: z.literal('setProfile'), profile: ProfileNameSchema, settings: ProfileSettingsPatchSchema }),
  z.strictObject({ op: z.literal('setApp'), identity: AppIdentitySchema, name: z.string().max(128).optional(), action: RuleActionSchema, profiles: ProfileListSchema, limit: RateLimitSchema.nullable().optional() }),
  z.strictObject({ op: z.literal('removeApp'), app: z.union([IdSchema, AppIdentitySchema]) }),
  z.strictObject({ op: z.literal('addPortRule'), rule: NewPortRuleSchema }),
  z.strictObject({ op: z.literal('removePortRule'), id: IdSchema }),
  z.strictObject({ op: z.literal('setNetworkProfile'), network: z.string().min(1).max(200), profile: ProfileNameSchema }),
  z.strictObject({ op: z.literal('forgetNetwork'), network: z.string().min(1).max(200) }),
  z.strictObject({ op: z.literal('pinInterface'), interface: InterfaceNameSchema, profile: ProfileNameSchema.nullable() }),
  z.strictObject({ op: z.literal('restoreDefaults') }),
]);
export type PolicyEdit = z.infer<typeof PolicyEditSchema>;
/** An edit as a client writes it: fields with defaults may be left out. */
export type PolicyEditInput = z.input<typeof PolicyEditSchema>;

export class EditError extends Error {
  override name = 'EditError';
}

export interface EditContext {
  /** Networks the machine is on now: `setNetworkProfile` may name one not remembered yet. */
  activeNetworks: readonly ActiveNetwork[];
  /** A fresh id for new rules (the helper supplies one; pure code cannot make randomness). */
  newId: (prefix: string) => string;
  now: string;
}

function findApp(policy: Policy, ref: string | AppIdentity): number {
  return typeof ref === 'string'
    ? policy.apps.findIndex((a) => a.id === ref)
    : policy.apps.findIndex((a) => appKey(a.identity) === appKey(ref));
}

function applyOne(policy: Policy, edit: PolicyEdit, ctx: EditContext): Policy {
  switch (edit.op) {
    case 'setProfile':
      return { ...policy, profiles: { ...policy.profiles, [edit.profile]: { ...policy.profiles[edit.profile], ...edit.settings } } };
    case 'setApp': {
      const index = findApp(policy, edit.identity);
      const existing = index >= 0 ? policy.apps[index] : undefined;
      const name = edit.name ?? existing?.name ?? appDisplayName(edit.identity);
      // limit: undefined keeps the app's limit, null removes it.
      const limit = edit.limit === undefined ? existing?.limit : edit.limit ?? undefined;
      const app = { id: existing?.id ?? ctx.newId('app'), name, identity: edit.identity, action: edit.action, profiles: uniqueProfiles(edit.profiles), ...(limit && edit.action === 'allow' ? { limit } : {}) };
      const apps = [...policy.apps];
      if (index >= 0) apps[index] = app;
      else apps.push(app);
      return { ...policy, apps };
    }
    case 'removeApp': {
      const index = findApp(policy, edit.app);
      if (index < 0) throw new EditError(`no app ${typeof edit.app === 'string' ? `with id "${edit.app}"` : `"${appDisplayName(edit.app)}"`} in the policy`);
      return { ...policy, apps: policy.apps.filter((_, i) => i !== index) };
    }
    case 'addPortRule': {
      const rule = { ...edit.rule, id: edit.rule.id ?? ctx.newId('rule') } as PortRule;
      if (policy.portRules.some((r) => r.id === rule.id)) throw new EditError(`a rule with id "${rule.id}" exists already`);
      return { ...policy, portRules: [...policy.portRules, rule] };
    }
    case 'removePortRule': {
      if (!policy.portRules.some((r) => r.id === edit.id)) throw new EditError(`no port rule with id "${edit.id}"`);
      return { ...policy, portRules: policy.portRules.filter((r) => r.id !== edit.id) };
    }
    case 'setNetworkProfile': {
      const known = policy.networks.findIndex((n) => networkKey(n.identity) === edit.network);
      if (known >= 0) {
        const networks = [...policy.networks];
        networks[known] = { ...(networks[known] as KnownNetwork), profile: edit.profile, undecided: false };
        return { ...policy, networks };
      }
      const active = ctx.activeNetworks.find((n) => networkKey(n.identity) === edit.network);
      if (!active) throw new EditError(`no network "${edit.network}" is known or active`);
      return { ...policy, networks: [...policy.networks, { name: active.name, identity: active.identity, profile: edit.profile, undecided: false, firstSeen: ctx.now, lastSeen: ctx.now }] };
    }
    case 'forgetNetwork': {
      if (!policy.networks.some((n) => networkKey(n.identity) === edit.network)) throw new EditError(`no known network "${edit.network}"`);
      return { ...policy, networks: policy.networks.filter((n) => networkKey(n.identity) !== edit.network) };
    }
    case 'pinInterface': {
      const others = Object.entries(policy.interfaces).filter(([name]) => name !== edit.interface);
      return { ...policy, interfaces: Object.fromEntries(edit.profile === null ? others : [...others, [edit.interface, edit.profile]]) };
    }
    case 'restoreDefaults':
      // Windows' "Restore defaults" resets rules and settings; the networks the machine knows stay.
      return { ...defaultPolicy(), networks: policy.networks };
  }
}

function uniqueProfiles(list: readonly ProfileName[]): ProfileName[] {
  return [...new Set(list)];
}

/** Applies edits in order and validates the result; throws EditError or PolicyValidationError. */
export function applyEdits(policy: Policy, edits: readonly PolicyEditInput[], ctx: EditContext): Policy {
  const parsed = edits.map((e, i) => {
    const result = PolicyEditSchema.safeParse(e);
    if (!result.success) throw new EditError(`edit ${i + 1}: ${result.error.issues.map((x) => `${formatPath(x.path) || '(edit)'}: ${x.message}`).join('; ')}`);
    return result.data;
  });
  const edited = parsed.reduce((p, e) => applyOne(p, e, ctx), policy);
  return parsePolicy(edited);
}
