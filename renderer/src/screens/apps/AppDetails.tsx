// "Details" of an app rule: how the app is identified, its rule, the ports it listens on now,
// its brute-force limits (set, change or remove them here) and how many packets its rule matched.
import { useEffect, useId, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { useStore } from '../../store';
import { useHitCount, useHitCounts, useLimitedCount } from '../../store/live';
import { LimitEditor } from '../rules/ProtectionEditors';
import { defaultLimitDraft, limitDraft, validateLimit, type LimitDraft } from '../rules/durations';
import { useProtectionWords } from '../rules/words';
import type { Problem } from '../rules/problems';
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

function Hits({ rule }: { rule: AppRule }) {
  const { t, i18n } = useTranslation('apps');
  useHitCounts();
  const hits = useHitCount('app', rule.id);
  const limited = useLimitedCount('app', rule.id);
  if (hits === undefined) return <span className="muted" data-testid="app-details-hits">{t('details.hitsUnknown')}</span>;
  return (
    <span data-testid="app-details-hits" data-hits={hits}>
      {t('details.hitsValue', { hits: hits.toLocaleString(i18n.language) })}
      {rule.limit && limited !== undefined && limited > 0 && <small className="status warn" style={{ display: 'block', fontWeight: 'normal' }}>{t('details.hitsLimited', { blocked: limited.toLocaleString(i18n.language) })}</small>}
    </span>
  );
}

/** The app's limits, and a small form to set, change or remove them (applied at once, as one change). */
function Limits({ rule }: { rule: AppRule }) {
  const { t } = useTranslation(['apps', 'rules', 'common']);
  const change = useStore((s) => s.change);
  const words = useProtectionWords();
  const ids = useId();
  const [draft, setDraft] = useState<LimitDraft | undefined>(undefined);
  const [attempted, setAttempted] = useState(false);
  const [busy, setBusy] = useState(false);

  if (rule.action === 'block') return <span className="muted">{t('details.limitsBlocked')}</span>;

  const send = async (limit: AppRule['limit'] | null) => {
    setBusy(true);
    const ok = await change([{ op: 'setApp', identity: rule.identity, action: rule.action, profiles: rule.profiles, limit }]);
    setBusy(false);
    if (ok) {
      setDraft(undefined);
      setAttempted(false);
    }
  };
  const save = (e: FormEvent) => {
    e.preventDefault();
    if (!draft || busy) return;
    const checked = validateLimit(draft);
    if (!checked.limit) {
      setAttempted(true);
      return;
    }
    void send(checked.limit);
  };

  if (!draft) {
    return (
      <span className="stack" style={{ gap: 6 }}>
        <span data-testid="app-details-limits">{rule.limit ? words.limit(rule.limit) : t('details.limitsNone')}</span>
        <span className="row">
          <button type="button" className="btn" data-testid="app-limits-edit" onClick={() => setDraft(rule.limit ? limitDraft(rule.limit) : defaultLimitDraft())}>
            {rule.limit ? t('details.limitsChange') : t('details.limitsSet')}
          </button>
          {rule.limit && <button type="button" className="btn" disabled={busy} data-testid="app-limits-remove" onClick={() => void send(null)}>{t('details.limitsRemove')}</button>}
        </span>
      </span>
    );
  }
  const problems = attempted ? validateLimit(draft).problems : [];
  const of = (field: 'limit' | 'limitBlock'): Problem[] | undefined => {
    const list = problems.filter((p) => p.field === field).map((p) => p.problem);
    return list.length ? list : undefined;
  };
  return (
    <form className="subsection" noValidate onSubmit={save} data-testid="app-limits-form" aria-describedby={`${ids}-hint`}>
      <small id={`${ids}-hint`} className="muted" style={{ marginTop: 0 }}>{t('details.limitsHint')}</small>
      <LimitEditor idPrefix={ids} testPrefix="app-limit" value={draft} onChange={setDraft} problems={{ limit: of('limit'), limitBlock: of('limitBlock') }} />
      <span className="row">
        <button type="submit" className="btn primary" disabled={busy} data-testid="app-limits-save">{t('details.limitsSave')}</button>
        <button type="button" className="btn" onClick={() => { setDraft(undefined); setAttempted(false); }}>{t('common:action.cancel')}</button>
      </span>
    </form>
  );
}

export function AppDetails({ rule, onClose }: { rule: AppRule | undefined; onClose: () => void }) {
  const { t } = useTranslation(['apps', 'common']);
  const descriptions = useStore((s) => s.apps);
  const label = rule ? appLabel(rule.identity, descriptions, rule.name) : undefined;
  const profileList = (rule?.profiles ?? []).map((p) => t(`common:profile.${p}Short`)).join(', ');
  return (
    <Dialog open={rule !== undefined} onClose={onClose} labelledBy="app-details-title" testId="app-details" wide>
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
              <dt>{t('details.limits')}</dt><dd><Limits rule={rule} /></dd>
              <dt>{t('details.hits')}</dt><dd><Hits rule={rule} /></dd>
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
