// Stable keys and display names for apps and networks. Two identities with the same key are
// the same app (or network) for every rule, whatever else differs.
import type { AppIdentity, NetworkIdentity } from './schema';
import { canonicalAddress } from '../net/address';

/**
 * Interpreters are compared by family, not by versioned binary: `/usr/bin/python3.11` and
 * `/usr/bin/python3.12` run the same script app, so a Python upgrade keeps its rule.
 */
export function interpreterFamily(interpreterPath: string): string {
  const base = interpreterPath.slice(interpreterPath.lastIndexOf('/') + 1);
  return base.replace(/[\d.]+$/, '') || base;
}

export function appKey(identity: AppIdentity): string {
  switch (identity.kind) {
    case 'executable': return `exe:${identity.path}`;
    case 'script': return `script:${interpreterFamily(identity.interpreter)}:${identity.script}`;
    case 'flatpak': return `flatpak:${identity.appId}`;
    case 'snap': return `snap:${identity.name}`;
    case 'appimage': return `appimage:${identity.name}`;
  }
}

export function sameApp(a: AppIdentity, b: AppIdentity): boolean {
  return appKey(a) === appKey(b);
}

/** A short human name for an app with no display name of its own. */
export function appDisplayName(identity: AppIdentity): string {
  const base = (path: string) => path.slice(path.lastIndexOf('/') + 1);
  switch (identity.kind) {
    case 'executable': return base(identity.path);
    case 'script': return `${base(identity.script)} (${interpreterFamily(identity.interpreter)})`;
    case 'flatpak': return identity.appId;
    case 'snap': return identity.name;
    case 'appimage': return identity.name;
  }
}

/** The id a known network goes by in the CLI and UI: `nm:<uuid>` or `gw:<ip>@<mac>`. */
export function networkKey(identity: NetworkIdentity): string {
  return identity.kind === 'networkmanager' ? `nm:${identity.uuid.toLowerCase()}` : `gw:${canonicalAddress(identity.address)}@${identity.mac}`;
}
