// Firewall & network protection: one card per profile, as in Windows Security, with the
// networks on it and its switches; the helper's state; "Restore defaults".
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useStore } from '../store';
import type { ProfileName, ProfileSettings } from '../../../shared/policy/schema';
import { Switch } from '../components/Switch';
import { ShieldIcon } from '../components/icons';
import { Dialog } from '../components/Dialog';
import { ProtectionsDialog } from './overview/Protections';

const SWITCHES = ['enabled', 'stealth', 'shieldsUp', 'answerPing', 'notify'] as const;

function ProfileCard({ profile }: { profile: ProfileName }) {
  const { t } = useTranslation(['overview', 'common']);
  const settings = useStore((s) => s.status?.profiles[profile]);
  const interfaces = useStore((s) => s.status?.interfaces);
  const change = useStore((s) => s.change);
  const [protections, setProtections] = useState(false);
  if (!settings) return null;
  const here = (interfaces ?? []).filter((i) => i.profile === profile);
  const state = !settings.enabled ? 'bad' : settings.shieldsUp ? 'warn' : 'ok';
  const set = (key: keyof ProfileSettings, value: boolean) => void change([{ op: 'setProfile', profile, settings: { [key]: value } }]);
  return (
    <section className="card" aria-labelledby={`card-${profile}`} data-testid={`profile-${profile}`}>
      <div className="row">
        <ShieldIcon state={state} />
        <h2 id={`card-${profile}`}>{t(`common:profile.${profile}`)}{here.length > 0 && <span className="chip" style={{ marginLeft: 8 }}>{t('active')}</span>}</h2>
      </div>
      <p className={`status ${state}`}><span className="dot" />{!settings.enabled ? t('unprotected') : settings.shieldsUp ? t('shielded') : t('protected')}</p>
      <ul className="muted" data-testid={`profile-${profile}-networks`} style={{ margin: '0 0 8px', paddingLeft: 18 }}>
        {here.length === 0 && <li>{t('notConnected')}</li>}
        {here.map((i) => <li key={i.name}>{t('connectedVia', { network: i.network?.name ?? t('unnamedNetwork'), iface: i.name })}</li>)}
      </ul>
      <div>
        {SWITCHES.map((key) => (
          <div className="setting" key={key}>
            <span className="label">
              {t(`settings.${key}`)}
              {key === 'enabled' && <small>{t('settings.enabledHint', { profile: t(`common:profile.${profile}`) })}</small>}
              {key === 'stealth' && <small>{t('settings.stealthHint')}</small>}
              {key === 'shieldsUp' && <small>{t('settings.shieldsUpHint')}</small>}
              {key === 'answerPing' && <small>{t('settings.answerPingHint')}</small>}
            </span>
            <Switch checked={settings[key]} label={t(`settings.${key}`)} testId={`${profile}-${key}`} onChange={(on) => set(key, on)} />
          </div>
        ))}
        <div className="setting">
          <span className="label">
            {t('protections.summaryTitle')}
            <small data-testid={`${profile}-protections-summary`}>
              {t('protections.summary', {
                scan: settings.scanDetection.enabled ? t('common:state.on') : t('common:state.off'),
                spoof: settings.antiSpoofing ? t('common:state.on') : t('common:state.off'),
                outbound: settings.defaultOutbound === 'block' ? t('protections.outboundBlocked') : t('protections.outboundAllowed'),
              })}
            </small>
          </span>
          <button type="button" className="btn" style={{ whiteSpace: 'nowrap' }} data-testid={`${profile}-protections`}
            aria-label={t('protections.buttonLabel', { profile: t(`common:profile.${profile}`) })} onClick={() => setProtections(true)}>{t('protections.button')}</button>
        </div>
      </div>
      {protections && <ProtectionsDialog profile={profile} open onClose={() => setProtections(false)} />}
    </section>
  );
}

function HelperCard() {
  const { t } = useTranslation(['overview', 'common']);
  const status = useStore((s) => s.status);
  const change = useStore((s) => s.change);
  const [confirming, setConfirming] = useState(false);
  if (!status) return null;
  return (
    <section className="card" aria-labelledby="helper-card" data-testid="helper-card">
      <h2 id="helper-card">{t('helperTitle')}</h2>
      <dl className="facts">
        <dt>{t('version', { version: '' }).trim()}</dt><dd>{status.version}</dd>
        <dt>{t('policyFile')}</dt><dd className="mono">{status.policy.path}</dd>
        <dt>{t('networkSource')}</dt><dd>{t(`networkSources.${status.networkSource}`)}</dd>
      </dl>
      {status.policy.problem && <p className="status bad">{t('policyProblem', { reason: status.policy.problem.reason })}</p>}
      <p className="muted">{t('revision', { revision: status.revision })}</p>
      <button type="button" className="btn" data-testid="restore-defaults" onClick={() => setConfirming(true)}>{t('restore')}</button>
      <Dialog open={confirming} onClose={() => setConfirming(false)} labelledBy="restore-title">
        <div className="dialog-head"><h2 id="restore-title">{t('restoreTitle')}</h2></div>
        <div className="dialog-body"><p>{t('restoreBody')}</p></div>
        <div className="dialog-foot">
          <button type="button" className="btn primary" data-testid="restore-confirm" onClick={() => { setConfirming(false); void change([{ op: 'restoreDefaults' }]); }}>{t('restore')}</button>
          <button type="button" className="btn" onClick={() => setConfirming(false)}>{t('common:action.cancel')}</button>
        </div>
      </Dialog>
    </section>
  );
}

export function Overview() {
  const { t } = useTranslation(['overview', 'common']);
  const loaded = useStore((s) => s.status !== undefined);
  return (
    <div className="screen" data-testid="screen-overview">
      <div className="screen-head"><div><h1>{t('title')}</h1><p className="muted">{t('subtitle')}</p></div></div>
      {!loaded ? <p className="muted">{t('common:loading')}</p> : (
        <>
          <div className="cards"><ProfileCard profile="private" /><ProfileCard profile="public" /></div>
          <HelperCard />
        </>
      )}
    </div>
  );
}
