// "Details" of an app rule: how the app is identified, its rule, and the ports it listens on now.
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useStore } from '../../store';
import { call } from '../../api/client';
import type { AppRule } from '../../../../shared/policy/schema';
import type { SocketEntry } from '../../../../shared/runtime/sockets';
import { appKey } from '../../../../shared/policy/identity';
import { formatAppIdentity } from '../../../../shared/policy/identity-text';
import { Dialog } from '../../components/Dialog';
import { AppIcon } from '../../components/AppIcon';
import { appLabel } from './names';

type Listening = { state: 'loading' } | { state: 'failed' } | { state: 'done'; sockets: SocketEntry[] };

function ListeningPorts({ rule }: { rule: AppRule }) {
  const { t } = useTranslation(['apps', 'common']);
  const key = appKey(rule.identity);
  const [listening, setListening] = useState<Listening>({ state: 'loading' });

  useEffect(() => {
    let live = true;
    call('firewall:sockets', { listening: true }).then(
      (sockets) => { if (live) setListening({ state: 'done', sockets: sockets.filter((s) => s.app && appKey(s.app) === key) }); },
      () => { if (live) setListening({ state: 'failed' }); },
    );
    return () => { live = false; };
  }, [key]);

  if (listening.state === 'loading') return <span className="muted">{t('details.listeningLoading')}</span>;
  if (listening.state === 'failed') return <span className="muted">{t('details.listeningFailed')}</span>;
  if (!listening.sockets.length) return <span className="muted" data-testid="app-details-not-listening">{t('details.listeningNone')}</span>;
  const lines = [...new Set(listening.sockets.map((s) => t('details.listeningOn', {
    port: s.port, protocol: s.protocol,
    address: s.address === '0.0.0.0' || s.address === '::' ? t('details.listeningAny') : s.address,
  })))];
  return (
    <ul className="mono" data-testid="app-details-ports" style={{ margin: 0, paddingLeft: 18 }}>
      {lines.map((line) => <li key={line}>{line}</li>)}
    </ul>
  );
}

export function AppDetails({ rule, onClose }: { rule: AppRule | undefined; onClose: () => void }) {
  const { t } = useTranslation(['apps', 'common']);
  const descriptions = useStore((s) => s.apps);
  const label = rule ? appLabel(rule.identity, descriptions, rule.name) : undefined;
  const profileList = (rule?.profiles ?? []).map((p) => t(`common:profile.${p}Short`)).join(', ');
  return (
    <Dialog open={rule !== undefined} onClose={onClose} labelledBy="app-details-title" testId="app-details">
      {rule && label && (
        <>
          <div className="dialog-head">
            <AppIcon src={label.icon} name={label.name} />
            <h2 id="app-details-title">{t('details.title', { app: label.name })}</h2>
          </div>
          <div className="dialog-body">
            <dl className="facts">
              <dt>{t('details.name')}</dt><dd>{label.name}</dd>
              <dt>{t('details.identity')}</dt><dd className="mono">{formatAppIdentity(rule.identity)}</dd>
              <dt>{t('details.kind')}</dt><dd>{t(`kind.${rule.identity.kind}`)}</dd>
              <dt>{t('details.id')}</dt><dd className="mono">{rule.id}</dd>
              <dt>{t('details.rule')}</dt>
              <dd data-testid="app-details-rule">
                {rule.action === 'block'
                  ? t('details.blockedEverywhere', { profiles: profileList })
                  : rule.profiles.length ? t('details.allowedOn', { profiles: profileList }) : t('details.allowedNowhere')}
              </dd>
              {label.description?.desktopFile && <><dt>{t('details.desktopFile')}</dt><dd className="mono">{label.description.desktopFile}</dd></>}
              <dt>{t('details.listening')}</dt><dd><ListeningPorts rule={rule} /></dd>
            </dl>
          </div>
          <div className="dialog-foot">
            <button type="button" className="btn primary" data-testid="app-details-close" onClick={onClose}>{t('common:action.close')}</button>
          </div>
        </>
      )}
    </Dialog>
  );
}
