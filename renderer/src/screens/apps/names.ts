// How an app is called and shown: the name from its .desktop file when one was found, else the
// rule's own name, else one derived from its identity.
import type { AppDescription } from '../../../../shared/ipc/contract';
import type { AppIdentity } from '../../../../shared/policy/schema';
import { appDisplayName, appKey } from '../../../../shared/policy/identity';

export function appLabel(identity: AppIdentity, descriptions: Record<string, AppDescription>, ruleName?: string): { name: string; icon: string | undefined; description: AppDescription | undefined } {
  const description = descriptions[appKey(identity)];
  return { name: description?.name ?? ruleName ?? appDisplayName(identity), icon: description?.icon, description };
}

/** Case- and accent-insensitive text for searching. */
export function searchable(text: string): string {
  return text.normalize('NFKD').replace(/\p{Diacritic}/gu, '').toLocaleLowerCase();
}
