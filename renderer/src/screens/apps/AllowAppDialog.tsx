// "Allow another app…": pick an installed app (from the .desktop files, with a search box) or type
// a program as the CLI reads it (/usr/bin/app, "python3 /opt/tool/server.py", flatpak:ID,
// snap:NAME, appimage:NAME), choose the networks, and add it as an allow rule.
import { useEffect, useId, useMemo, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { useStore } from '../../store';
import { call } from '../../api/client';
import type { AppDescription } from '../../../../shared/ipc/contract';
import type { AppIdentity, ProfileName } from '../../../../shared/policy/schema';
import { PROFILE_NAMES } from '../../../../shared/policy/schema';
import { appKey } from '../../../../shared/policy/identity';
import { formatAppIdentity, parseAppIdentity } from '../../../../shared/policy/identity-text';
import { Dialog } from '../../components/Dialog';
import { AppIcon } from '../../components/AppIcon';
import { searchable } from './names';

type Installed = { state: 'loading' } | { state: 'failed' } | { state: 'done'; apps: AppDescription[] };
type Parsed = { identity: AppIdentity; error?: undefined } | { identity?: undefined; error: string };

function parse(text: string): Parsed {
  try {
    return { identity: parseAppIdentity(text) };
  } catch (err) {
    // The reason without the usage line: the field's hint already shows the forms.
    const message = (err as Error).message;
    return { error: /is not an app: (.*?)\. Use an absolute path/s.exec(message)?.[1] ?? message };
  }
}

function useInstalledApps(attempt: number): Installed {
  const [installed, setInstalled] = useState<Installed>({ state: 'loading' });
  useEffect(() => {
    let live = true;
    setInstalled({ state: 'loading' });
    call('apps:installed', {}).then(
      (apps) => { if (live) setInstalled({ state: 'done', apps }); },
      () => { if (live) setInstalled({ state: 'failed' }); },
    );
    return () => { live = false; };
  }, [attempt]);
  return installed;
}

function AllowAppForm({ onClose }: { onClose: () => void }) {
  const { t, i18n } = useTranslation(['apps', 'common']);
  const change = useStore((s) => s.change);
  const rules = useStore((s) => s.policy?.apps);
  const ids = useId();
  const [attempt, setAttempt] = useState(0);
  const installed = useInstalledApps(attempt);
  const [query, setQuery] = useState('');
  const [selected, setSelected] = useState<string | undefined>(undefined);
  const [text, setText] = useState('');
  const [profiles, setProfiles] = useState<Record<ProfileName, boolean>>({ private: true, public: false });
  const [submitted, setSubmitted] = useState(false);
  const [busy, setBusy] = useState(false);

  const listed = useMemo(() => new Set((rules ?? []).map((r) => appKey(r.identity))), [rules]);
  const sorted = useMemo(() => {
    if (installed.state !== 'done') return [];
    const collator = new Intl.Collator(i18n.language, { sensitivity: 'base', numeric: true });
    return [...installed.apps].sort((a, b) => collator.compare(a.name, b.name));
  }, [installed, i18n.language]);
  const matches = useMemo(() => {
    const q = searchable(query.trim());
    if (!q) return sorted;
    return sorted.filter((a) => searchable(`${a.name} ${formatAppIdentity(a.identity)}`).includes(q));
  }, [sorted, query]);

  const typed = text.trim() ? parse(text) : undefined;
  const chosen = sorted.find((a) => appKey(a.identity) === selected);
  const chosenProfiles = PROFILE_NAMES.filter((p) => profiles[p]);
  const pathError = typed?.error !== undefined && submitted ? t('add.pathError', { detail: typed.error }) : undefined;
  const choiceError = submitted && !typed && !chosen ? t('add.chooseOne') : undefined;
  const profilesError = submitted && !chosenProfiles.length ? t('add.networksError') : undefined;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setSubmitted(true);
    const identity = typed ? typed.identity : chosen?.identity;
    if (!identity || !chosenProfiles.length || busy) return;
    const name = !typed && chosen ? chosen.name.slice(0, 128) : undefined;
    setBusy(true);
    const ok = await change([{ op: 'setApp', identity, action: 'allow', profiles: chosenProfiles, ...(name !== undefined ? { name } : {}) }]);
    setBusy(false);
    if (ok) onClose();
  };

  const listId = `${ids}-installed`;
  const pathId = `${ids}-path`;
  return (
    <form noValidate onSubmit={(e) => void submit(e)}>
      <div className="dialog-head"><h2 id="allow-app-title">{t('add.title')}</h2></div>
      <div className="dialog-body stack">
        <fieldset className="stack" style={{ border: 0, margin: 0, padding: 0, minWidth: 0 }} aria-describedby={choiceError ? `${ids}-choice-error` : undefined}>
          <legend>{t('add.installed')}</legend>
          <div className="field">
            <input id={`${ids}-search`} type="search" value={query} placeholder={t('add.searchPlaceholder')} aria-label={t('add.search')} aria-controls={listId}
              data-testid="allow-app-search" onChange={(e) => setQuery(e.currentTarget.value)}
              onKeyDown={(e) => { if (e.key === 'Enter') e.preventDefault(); }} />
          </div>
          <div id={listId} role="radiogroup" aria-label={t('add.installed')} data-testid="allow-app-installed"
            style={{ maxHeight: 240, overflowY: 'auto', border: '1px solid var(--border)', borderRadius: 6, padding: 4 }}>
            {installed.state === 'loading' && <p className="muted" role="status">{t('add.loading')}</p>}
            {installed.state === 'failed' && (
              <p className="row" role="alert">
                <span className="muted">{t('add.loadFailed')}</span>
                <button type="button" className="btn link" onClick={() => setAttempt((n) => n + 1)}>{t('common:action.retry')}</button>
              </p>
            )}
            {installed.state === 'done' && !sorted.length && <p className="muted">{t('add.none')}</p>}
            {installed.state === 'done' && sorted.length > 0 && !matches.length && <p className="muted" role="status">{t('add.noMatch', { query: query.trim() })}</p>}
            {matches.map((app) => {
              const key = appKey(app.identity);
              return (
                <label key={key} className="row" style={{ padding: '4px 6px' }} data-testid={`allow-app-option-${key}`}>
                  <input type="radio" name={`${ids}-installed`} value={key} checked={selected === key && !typed}
                    onChange={() => { setSelected(key); setText(''); }} />
                  <AppIcon src={app.icon} name={app.name} />
                  <span>
                    {app.name}{listed.has(key) && <> <span className="chip">{t('add.listed')}</span></>}
                    <br /><small className="muted mono">{formatAppIdentity(app.identity)}</small>
                  </span>
                </label>
              );
            })}
          </div>
        </fieldset>
        <div className="field">
          <label htmlFor={pathId}>{t('add.orType')}</label>
          <input id={pathId} type="text" value={text} spellCheck={false} autoComplete="off" className="mono"
            aria-invalid={pathError ? true : undefined} aria-describedby={`${pathId}-hint${pathError ? ` ${pathId}-error` : ''}`}
            placeholder="/usr/bin/app" data-testid="allow-app-path"
            onChange={(e) => { setText(e.currentTarget.value); if (e.currentTarget.value.trim()) setSelected(undefined); }}
          />
          <small id={`${pathId}-hint`} className="muted">{t('add.pathHint')}</small>
          {pathError && <span id={`${pathId}-error`} className="error" data-testid="allow-app-path-error">{pathError}</span>}
        </div>
        {choiceError && <p id={`${ids}-choice-error`} className="field"><span className="error" role="alert" data-testid="allow-app-choice-error">{choiceError}</span></p>}
        <fieldset className="field" style={{ border: 0, margin: 0, padding: 0 }} aria-describedby={profilesError ? `${ids}-profiles-error` : undefined}>
          <legend>{t('add.networks')}</legend>
          {PROFILE_NAMES.map((p) => (
            <label key={p} className="row">
              <input type="checkbox" checked={profiles[p]} data-testid={`allow-app-${p}`} onChange={(e) => setProfiles({ ...profiles, [p]: e.currentTarget.checked })} />
              <span>{t(`common:profile.${p}`)}</span>
            </label>
          ))}
          {profilesError && <span id={`${ids}-profiles-error`} className="error" role="alert">{profilesError}</span>}
        </fieldset>
      </div>
      <div className="dialog-foot">
        <button type="submit" className="btn primary" disabled={busy} data-testid="allow-app-add">{busy ? t('add.adding') : t('add.add')}</button>
        <button type="button" className="btn" onClick={onClose}>{t('common:action.cancel')}</button>
      </div>
    </form>
  );
}

export function AllowAppDialog({ open, onClose }: { open: boolean; onClose: () => void }) {
  return (
    <Dialog open={open} onClose={onClose} labelledBy="allow-app-title" testId="allow-app-dialog">
      <AllowAppForm onClose={onClose} />
    </Dialog>
  );
}
