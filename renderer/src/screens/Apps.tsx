// Allowed apps, as Windows' "Allow an app to communicate through Windows Defender Firewall": one
// row per app rule with a Private and a Public checkbox, blocked apps shown as such, details,
// removal, and "Allow another app…". Apps waiting for a decision (open prompts) come first.
import { useEffect, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useStore } from '../store';
import type { AppRule, ProfileName } from '../../../shared/policy/schema';
import { PROFILE_NAMES } from '../../../shared/policy/schema';
import { formatAppIdentity } from '../../../shared/policy/identity-text';
import type { Prompt } from '../../../shared/dbus/contract';
import { AppIcon } from '../components/AppIcon';
import { Dialog } from '../components/Dialog';
import { AppDetails } from './apps/AppDetails';
import { AllowAppDialog } from './apps/AllowAppDialog';
import { appLabel } from './apps/names';
import { useProtectionWords } from './rules/words';

type Decision = Pick<AppRule, 'action' | 'profiles'>;

function PromptList() {
  const { t, i18n } = useTranslation(['apps', 'common']);
  const prompts = useStore((s) => s.prompts);
  const descriptions = useStore((s) => s.apps);
  const navigate = useStore((s) => s.navigate);
  if (!prompts.length) return null;
  const time = (iso: string) => {
    const at = new Date(iso);
    const today = at.toDateString() === new Date().toDateString();
    return at.toLocaleString(i18n.language, today ? { timeStyle: 'short' } : { dateStyle: 'medium', timeStyle: 'short' });
  };
  const ports = (p: Prompt) => [...new Set(p.ports.map((x) => `${x.port}/${x.protocol}`))].join(', ');
  return (
    <section className="banner warn" aria-labelledby="prompts-title" data-testid="app-prompts">
      <div className="grow stack">
        <div>
          <h2 id="prompts-title">{t('prompts.title')}</h2>
          <p>{t('prompts.body')}</p>
        </div>
        <ul className="stack" style={{ listStyle: 'none', margin: 0, padding: 0 }}>
          {prompts.map((p) => {
            const { name, icon } = appLabel(p.app, descriptions, p.name);
            return (
              <li key={p.id} className="row" data-testid={`app-prompt-${p.id}`}>
                <AppIcon src={icon} name={name} />
                <span className="grow">
                  <strong>{name}</strong>{' '}
                  <span className="muted">{t('prompts.ports', { ports: ports(p) })} · {t('prompts.since', { time: time(p.since) })}</span>
                </span>
                <button type="button" className="btn" aria-label={t('prompts.decideLabel', { app: name })} data-testid={`app-prompt-open-${p.id}`}
                  onClick={() => navigate('apps', { promptId: p.id })}>{t('prompts.decide')}</button>
              </li>
            );
          })}
        </ul>
      </div>
    </section>
  );
}

function AppRow({ rule, onDetails, onRemove }: { rule: AppRule; onDetails: () => void; onRemove: () => void }) {
  const { t } = useTranslation(['apps', 'common']);
  const descriptions = useStore((s) => s.apps);
  const change = useStore((s) => s.change);
  const words = useProtectionWords();
  // What was asked for and is not in the policy yet: shown at once, dropped when the answer comes.
  const [sent, setSent] = useState<Decision | undefined>(undefined);
  const { name, icon } = appLabel(rule.identity, descriptions, rule.name);
  const shown = sent ?? rule;
  const blocked = shown.action === 'block';
  const allowedOn = (p: ProfileName) => !blocked && shown.profiles.includes(p);

  const decide = (decision: Decision) => {
    setSent(decision);
    void change([{ op: 'setApp', identity: rule.identity, action: decision.action, profiles: decision.profiles }]).finally(() => setSent(undefined));
  };
  const toggle = (profile: ProfileName, on: boolean) => {
    const current = blocked ? [] : shown.profiles;
    const profiles = PROFILE_NAMES.filter((p) => (p === profile ? on : current.includes(p)));
    decide({ action: 'allow', profiles });
  };

  return (
    <tr data-testid={`app-row-${rule.id}`}>
      <td>
        <span className="row">
          <AppIcon src={icon} name={name} />
          <span>
            <span id={`app-name-${rule.id}`}>{name}</span>
            {blocked && <> <span className="status bad" data-testid={`app-${rule.id}-blocked`}><span className="dot" />{t('blocked')}</span></>}
            {!blocked && rule.limit && <> <span className="chip accent" title={words.limit(rule.limit)} aria-label={t('limitedLabel', { limits: words.limit(rule.limit) })} data-testid={`app-${rule.id}-limited`}>{t('limited')}</span></>}
            <br /><span className="muted mono">{formatAppIdentity(rule.identity)}</span>
          </span>
        </span>
      </td>
      {PROFILE_NAMES.map((p) => (
        <td key={p}>
          <input type="checkbox" checked={allowedOn(p)} disabled={sent !== undefined}
            aria-label={t(p === 'private' ? 'allowOnPrivate' : 'allowOnPublic', { app: name })}
            data-testid={`app-${rule.id}-${p}`} onChange={(e) => toggle(p, e.currentTarget.checked)} />
        </td>
      ))}
      <td>
        <span className="row" style={{ whiteSpace: 'nowrap' }}>
          <button type="button" className="btn link" aria-label={t('detailsLabel', { app: name })} data-testid={`app-${rule.id}-details`} onClick={onDetails}>{t('common:action.details')}</button>
          {blocked
            ? <button type="button" className="btn link" aria-label={t('allowLabel', { app: name })} data-testid={`app-${rule.id}-allow`} disabled={sent !== undefined}
              onClick={() => decide({ action: 'allow', profiles: ['private'] })}>{t('allow')}</button>
            : <button type="button" className="btn link" aria-label={t('blockLabel', { app: name })} data-testid={`app-${rule.id}-block`} disabled={sent !== undefined}
              onClick={() => decide({ action: 'block', profiles: [...PROFILE_NAMES] })}>{t('block')}</button>}
          <button type="button" className="btn link" aria-label={t('removeLabel', { app: name })} data-testid={`app-${rule.id}-remove`} onClick={onRemove}>{t('common:action.remove')}</button>
        </span>
      </td>
    </tr>
  );
}

function RemoveDialog({ rule, onClose }: { rule: AppRule | undefined; onClose: () => void }) {
  const { t } = useTranslation(['apps', 'common']);
  const descriptions = useStore((s) => s.apps);
  const change = useStore((s) => s.change);
  const name = rule ? appLabel(rule.identity, descriptions, rule.name).name : '';
  const remove = () => {
    if (!rule) return;
    onClose();
    void change([{ op: 'removeApp', app: rule.id }]);
  };
  return (
    <Dialog open={rule !== undefined} onClose={onClose} labelledBy="app-remove-title" testId="app-remove-dialog">
      <div className="dialog-head"><h2 id="app-remove-title">{t('removeTitle', { app: name })}</h2></div>
      <div className="dialog-body"><p>{t('removeBody')}</p></div>
      <div className="dialog-foot">
        <button type="button" className="btn primary" data-testid="app-remove-confirm" onClick={remove}>{t('common:action.remove')}</button>
        <button type="button" className="btn" onClick={onClose}>{t('common:action.cancel')}</button>
      </div>
    </Dialog>
  );
}

export function Apps() {
  const { t, i18n } = useTranslation(['apps', 'common']);
  const rules = useStore((s) => s.policy?.apps);
  const descriptions = useStore((s) => s.apps);
  const describe = useStore((s) => s.describeApps);
  const prompts = useStore((s) => s.prompts);
  const [adding, setAdding] = useState(false);
  const [detailsOf, setDetailsOf] = useState<string | undefined>(undefined);
  const [removing, setRemoving] = useState<string | undefined>(undefined);

  useEffect(() => {
    const identities = [...(rules ?? []).map((r) => r.identity), ...prompts.map((p) => p.app)];
    if (identities.length) void describe(identities);
  }, [rules, prompts, describe]);

  const sorted = useMemo(() => {
    const collator = new Intl.Collator(i18n.language, { sensitivity: 'base', numeric: true });
    return [...(rules ?? [])].sort((a, b) => collator.compare(appLabel(a.identity, descriptions, a.name).name, appLabel(b.identity, descriptions, b.name).name));
  }, [rules, descriptions, i18n.language]);

  // Looked up by id, so the dialogs follow the rule as the policy changes (and close when it goes).
  const details = rules?.find((r) => r.id === detailsOf);
  const toRemove = rules?.find((r) => r.id === removing);

  return (
    <div className="screen" data-testid="screen-apps">
      <div className="screen-head">
        <div><h1>{t('title')}</h1><p className="muted">{t('subtitle')}</p></div>
        <div className="actions">
          <button type="button" className="btn primary" style={{ whiteSpace: 'nowrap' }} data-testid="allow-app" disabled={rules === undefined} onClick={() => setAdding(true)}>{t('allowAnother')}</button>
        </div>
      </div>
      <PromptList />
      {rules === undefined ? <p className="muted">{t('common:loading')}</p> : (
        <section className="card" aria-labelledby="apps-list-title">
          <h2 id="apps-list-title" className="sr-only">{t('listLabel')}</h2>
          {sorted.length === 0 ? <p className="muted" data-testid="apps-empty">{t('empty')}</p> : (
            <table aria-labelledby="apps-list-title" data-testid="apps-table">
              <thead>
                <tr>
                  <th scope="col">{t('column.name')}</th>
                  <th scope="col">{t('column.private')}</th>
                  <th scope="col">{t('column.public')}</th>
                  <th scope="col"><span className="sr-only">{t('column.actions')}</span></th>
                </tr>
              </thead>
              <tbody>
                {sorted.map((rule) => (
                  <AppRow key={rule.id} rule={rule} onDetails={() => setDetailsOf(rule.id)} onRemove={() => setRemoving(rule.id)} />
                ))}
              </tbody>
            </table>
          )}
        </section>
      )}
      <AppDetails rule={details} onClose={() => setDetailsOf(undefined)} />
      <RemoveDialog rule={toRemove} onClose={() => setRemoving(undefined)} />
      <AllowAppDialog open={adding} onClose={() => setAdding(false)} />
    </div>
  );
}
