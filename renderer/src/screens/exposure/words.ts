// Words for what the exposure predictor says: a scanner's port states and the reasons behind
// them. Shared by the Exposure screen and the Activity screen's "Decided by" column.
import { useCallback } from 'react';
import { useTranslation } from 'react-i18next';
import type { ProfileName } from '../../../../shared/policy/schema';

export type ScanState = 'open' | 'closed' | 'filtered' | 'open|filtered';
export const SCAN_STATES: readonly ScanState[] = ['open', 'closed', 'filtered', 'open|filtered'];

/** A reason as the helper sends it (the kind is a plain string on the wire). */
export interface ReasonLike { kind: string; ruleId?: string | undefined }

const REASON_KINDS = [
  'firewall-off', 'shields-up', 'blocked-app', 'block-rule', 'always-open', 'allow-rule', 'allowed-idle', 'allowed-app', 'default-allow', 'not-allowed',
  'knock-required', 'knock-port',
] as const;
type ReasonKind = (typeof REASON_KINDS)[number];

function isReasonKind(kind: string): kind is ReasonKind {
  return (REASON_KINDS as readonly string[]).includes(kind);
}

/** Closed ports answer; stealthy ones do not. */
export function isSilent(state: string): boolean {
  return state === 'filtered' || state === 'open|filtered';
}

export function isScanState(state: string): state is ScanState {
  return (SCAN_STATES as readonly string[]).includes(state);
}

const STATE_KEYS = { open: 'open', closed: 'closed', filtered: 'filtered', 'open|filtered': 'openFiltered' } as const;

/** `reason(r, profile, state)` → "Allowed app on Private"; `stateShort(s)` → "No answer (stealth)";
 *  `stateMeaning(s)` → what a scanner learns from it, in a sentence. */
export function useExposureWords() {
  const { t } = useTranslation(['exposure', 'common']);
  const reason = useCallback((r: ReasonLike, profile: ProfileName, state: string, ruleLabel?: string): string => {
    const profileName = t(profile === 'private' ? 'common:profile.privateShort' : 'common:profile.publicShort');
    const rule = ruleLabel ?? r.ruleId ?? '?';
    if (!isReasonKind(r.kind)) return t('exposure:reason.unknown', { kind: r.kind, profile: profileName });
    switch (r.kind) {
      case 'firewall-off': return t('exposure:reason.firewallOff', { profile: profileName });
      case 'shields-up': return t('exposure:reason.shieldsUp', { profile: profileName });
      case 'blocked-app': return t('exposure:reason.blockedApp', { profile: profileName });
      case 'block-rule': return t('exposure:reason.blockRule', { profile: profileName, rule });
      case 'always-open': return t('exposure:reason.alwaysOpen', { profile: profileName, rule });
      case 'allow-rule': return t('exposure:reason.allowRule', { profile: profileName, rule });
      case 'allowed-idle': return t('exposure:reason.allowedIdle', { profile: profileName, rule });
      case 'allowed-app': return t('exposure:reason.allowedApp', { profile: profileName });
      case 'default-allow': return t('exposure:reason.defaultAllow', { profile: profileName });
      case 'knock-required': return t('exposure:reason.knockRequired', { profile: profileName, rule });
      case 'knock-port': return t('exposure:reason.knockPort', { profile: profileName, rule });
      case 'not-allowed': return isSilent(state)
        ? t('exposure:reason.notAllowedStealth', { profile: profileName })
        : t('exposure:reason.notAllowedRefused', { profile: profileName });
    }
  }, [t]);
  const stateMeaning = useCallback((state: string): string => (
    isScanState(state) ? t(`exposure:state.${STATE_KEYS[state]}`) : t('exposure:state.unknown', { state })
  ), [t]);
  const stateShort = useCallback((state: string): string => (
    isScanState(state) ? t(`exposure:stateShort.${STATE_KEYS[state]}`) : t('exposure:stateShort.unknown', { state })
  ), [t]);
  return { reason, stateMeaning, stateShort };
}
