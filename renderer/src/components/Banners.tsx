// The app's standing messages: helper missing or unreachable, not authorised, and a change
// waiting for confirmation.
import { useTranslation } from 'react-i18next';
import { useStore } from '../store';
import { ShieldIcon } from './icons';

export function HelperBanner() {
  const { t } = useTranslation();
  const helper = useStore((s) => s.helper);
  const install = useStore((s) => s.installHelper);
  if (!helper) return null;
  if (helper.connection === 'connecting') return <div className="banner info" role="status">{t('helper.connecting')}</div>;
  if (helper.connection === 'missing' || helper.connection === 'unreachable') {
    return (
      <div className="banner bad" role="alert" data-testid="helper-missing">
        <ShieldIcon state="bad" />
        <div className="grow">
          <h2>{helper.connection === 'missing' ? t('helper.missingTitle') : t('helper.unreachableTitle')}</h2>
          <p>{t('helper.missingBody')}</p>
          {helper.error && <p className="muted mono">{helper.error}</p>}
          <p className="muted">{helper.canInstall ? t('helper.installNote') : t('helper.installManual')}</p>
        </div>
        {helper.canInstall && (
          <button type="button" className="btn primary" disabled={helper.installing} onClick={() => void install()}>
            {helper.installing ? t('helper.installing') : t('helper.install')}
          </button>
        )}
      </div>
    );
  }
  if (helper.notAuthorized) {
    return (
      <div className="banner warn" role="alert" data-testid="not-authorized">
        <ShieldIcon state="warn" />
        <div className="grow"><h2>{t('helper.notAuthorizedTitle')}</h2><p>{t('helper.notAuthorizedBody')}</p></div>
      </div>
    );
  }
  return null;
}

export function PendingChangeBar() {
  const { t, i18n } = useTranslation();
  const pending = useStore((s) => s.pendingChange);
  const confirm = useStore((s) => s.confirmChange);
  if (!pending) return null;
  const time = new Date(pending.deadline).toLocaleTimeString(i18n.language);
  return (
    <div className="banner warn" role="alert" data-testid="pending-change">
      <div className="grow"><h2>{t('pending.title')}</h2><p>{t('pending.body', { time })}</p></div>
      <button type="button" className="btn primary" onClick={() => void confirm()}>{t('action.confirm')}</button>
    </div>
  );
}
