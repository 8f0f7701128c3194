// Settings: the app's language, theme and desktop notifications; exporting the policy to a file
// and importing one (which replaces everything, so it asks first); and the ruleset the kernel
// holds now, read-only, to copy into a bug report.
import { useCallback, useEffect, useId, useRef, useState, type ChangeEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { useStore } from '../store';
import { call } from '../api/client';
import type { Settings as AppSettings } from '../../../shared/ipc/contract';
import { Switch } from '../components/Switch';
import { Dialog } from '../components/Dialog';
import { MAX_POLICY_BYTES, downloadText, exportFileName, parsePolicyText, type PolicyFileProblem } from './settings/policy-file';

const PRE_STYLE = {
  maxHeight: 480, overflow: 'auto', margin: 0, padding: 12, whiteSpace: 'pre', background: 'var(--surface-2)', border: '1px solid var(--border)', borderRadius: 6,
} as const;

function GeneralCard() {
  const { t } = useTranslation(['settings', 'common']);
  const settings = useStore((s) => s.settings);
  const update = useStore((s) => s.updateSettings);
  const languageId = useId();
  const themeId = useId();
  if (!settings) return <section className="card"><p className="muted">{t('common:loading')}</p></section>;
  return (
    <section className="card" aria-labelledby="settings-general">
      <h2 id="settings-general">{t('general.title')}</h2>
      <div className="setting">
        <label className="label" htmlFor={languageId}>{t('language.label')}<small>{t('language.hint')}</small></label>
        <select id={languageId} data-testid="settings-language" value={settings.language}
          onChange={(e) => void update({ language: e.currentTarget.value as AppSettings['language'] })}>
          <option value="system">{t('language.system')}</option>
          <option value="en" lang="en">English</option>
          <option value="ja" lang="ja">日本語</option>
        </select>
      </div>
      <div className="setting">
        <label className="label" htmlFor={themeId}>{t('theme.label')}</label>
        <select id={themeId} data-testid="settings-theme" value={settings.theme}
          onChange={(e) => void update({ theme: e.currentTarget.value as AppSettings['theme'] })}>
          <option value="system">{t('theme.system')}</option>
          <option value="light">{t('theme.light')}</option>
          <option value="dark">{t('theme.dark')}</option>
        </select>
      </div>
      <div className="setting">
        <span className="label">{t('notifications.label')}<small>{t('notifications.hint')}</small></span>
        <Switch checked={settings.notifications} label={t('notifications.label')} testId="settings-notifications"
          onChange={(on) => void update({ notifications: on })} />
      </div>
    </section>
  );
}

function PolicyCard() {
  const { t } = useTranslation(['settings', 'common']);
  const importPolicy = useStore((s) => s.importPolicy);
  const notify = useStore((s) => s.notify);
  const fail = useStore((s) => s.fail);
  const connected = useStore((s) => s.helper?.connection === 'connected');
  const fileInput = useRef<HTMLInputElement>(null);
  const [busy, setBusy] = useState<'export' | 'import' | undefined>(undefined);
  const [problem, setProblem] = useState<{ file: string; problem: PolicyFileProblem | { kind: 'refused' } | { kind: 'unreadable'; detail: string } } | undefined>(undefined);
  const [pending, setPending] = useState<{ file: string; policy: Record<string, unknown> } | undefined>(undefined);

  const exportPolicy = async () => {
    setBusy('export');
    try {
      const policy = await call('firewall:policy', {});
      const file = exportFileName();
      downloadText(`${JSON.stringify(policy, null, 2)}\n`, file);
      notify({ kind: 'info', text: t('export.done', { file }) });
    } catch (err) {
      fail(err);
    } finally {
      setBusy(undefined);
    }
  };

  const pickFile = async (e: ChangeEvent<HTMLInputElement>) => {
    const input = e.currentTarget;
    const file = input.files?.[0];
    // Let the same file be picked again after fixing it.
    input.value = '';
    if (!file) return;
    setProblem(undefined);
    if (file.size > MAX_POLICY_BYTES) {
      setProblem({ file: file.name, problem: { kind: 'too-large', size: file.size } });
      return;
    }
    let text: string;
    try {
      text = await file.text();
    } catch (err) {
      setProblem({ file: file.name, problem: { kind: 'unreadable', detail: (err as Error).message } });
      return;
    }
    const parsed = parsePolicyText(text);
    if (!parsed.ok) setProblem({ file: file.name, problem: parsed.problem });
    else setPending({ file: file.name, policy: parsed.value });
  };

  const confirmImport = async () => {
    if (!pending) return;
    const { file, policy } = pending;
    setPending(undefined);
    setBusy('import');
    const ok = await importPolicy(policy);
    setBusy(undefined);
    if (ok) notify({ kind: 'info', text: t('import.done', { file }) });
    else setProblem({ file, problem: { kind: 'refused' } });
  };

  const problemText = (file: string, p: NonNullable<typeof problem>['problem']): string => {
    switch (p.kind) {
      case 'too-large': return t('import.tooLarge', { file, size: `${(p.size / 1024 / 1024).toFixed(1)} MB` });
      case 'empty': return t('import.empty', { file });
      case 'not-object': return t('import.notObject', { file });
      case 'unreadable': return t('import.unreadable', { file, reason: p.detail });
      case 'refused': return t('import.refused', { file });
      case 'syntax': return p.line !== undefined && p.column !== undefined
        ? t('import.syntaxAt', { file, line: p.line, column: p.column })
        : t('import.syntax', { file });
    }
  };

  return (
    <section className="card" aria-labelledby="settings-policy">
      <h2 id="settings-policy">{t('policy.title')}</h2>
      <p className="muted">{t('policy.body')}</p>
      <div className="row" style={{ flexWrap: 'wrap' }}>
        <button type="button" className="btn" data-testid="export-policy" disabled={!connected || busy !== undefined} aria-busy={busy === 'export'}
          onClick={() => void exportPolicy()}>{t('export.button')}</button>
        <button type="button" className="btn" data-testid="import-policy-button" disabled={!connected || busy !== undefined} aria-busy={busy === 'import'}
          onClick={() => fileInput.current?.click()}>{busy === 'import' ? t('import.importing') : t('import.button')}</button>
        <input ref={fileInput} type="file" accept="application/json,.json" hidden data-testid="import-policy" aria-label={t('import.button')}
          onChange={(e) => void pickFile(e)} />
      </div>
      {problem && (
        <div className="field" role="alert" data-testid="import-error" data-kind={problem.problem.kind} style={{ marginTop: 10 }}>
          <p className="error" style={{ margin: 0 }}>{problemText(problem.file, problem.problem)}</p>
          {problem.problem.kind === 'syntax' && <p className="muted mono" style={{ margin: 0 }}>{problem.problem.detail}</p>}
          {problem.problem.kind !== 'refused' && <p className="muted" style={{ margin: 0 }}>{t('import.nothingChanged')}</p>}
        </div>
      )}
      <Dialog open={pending !== undefined} onClose={() => setPending(undefined)} labelledBy="import-title" testId="import-dialog">
        <div className="dialog-head"><h2 id="import-title">{t('import.confirmTitle')}</h2></div>
        <div className="dialog-body">
          <p>{t('import.confirmBody')}</p>
          {pending && <p className="muted mono">{pending.file}</p>}
        </div>
        <div className="dialog-foot">
          <button type="button" className="btn primary" data-testid="import-confirm" onClick={() => void confirmImport()}>{t('import.confirm')}</button>
          <button type="button" className="btn" onClick={() => setPending(undefined)}>{t('common:action.cancel')}</button>
        </div>
      </Dialog>
    </section>
  );
}

function RulesetCard() {
  const { t } = useTranslation(['settings', 'common']);
  const ruleset = useStore((s) => s.ruleset);
  const loadRuleset = useStore((s) => s.loadRuleset);
  const fail = useStore((s) => s.fail);
  const connected = useStore((s) => s.helper?.connection === 'connected');
  const revision = useStore((s) => s.status?.revision);
  const pre = useRef<HTMLPreElement>(null);
  const [copied, setCopied] = useState(false);
  const [loading, setLoading] = useState(false);

  const reload = useCallback(async () => {
    setLoading(true);
    try {
      await loadRuleset();
    } finally {
      setLoading(false);
    }
  }, [loadRuleset]);

  // The ruleset follows the policy: read it again after every change.
  useEffect(() => {
    if (connected) void reload();
  }, [connected, revision, reload]);

  useEffect(() => {
    if (!copied) return;
    const timer = setTimeout(() => setCopied(false), 2000);
    return () => clearTimeout(timer);
  }, [copied]);

  const copy = async () => {
    if (ruleset === undefined) return;
    try {
      await navigator.clipboard.writeText(ruleset);
      setCopied(true);
    } catch (err) {
      // Leave the text selected so Ctrl+C still works.
      if (pre.current) window.getSelection()?.selectAllChildren(pre.current);
      fail(err);
    }
  };

  return (
    <section className="card" aria-labelledby="settings-ruleset">
      <div className="row" style={{ flexWrap: 'wrap', marginBottom: 6 }}>
        <h2 id="settings-ruleset" style={{ margin: 0 }}>{t('ruleset.title')}</h2>
        <div className="row" style={{ marginLeft: 'auto', gap: 8 }}>
          <button type="button" className="btn" data-testid="ruleset-refresh" disabled={!connected || loading} aria-busy={loading} onClick={() => void reload()}>
            {t('common:action.refresh')}
          </button>
          <button type="button" className="btn" data-testid="ruleset-copy" disabled={!ruleset} onClick={() => void copy()}>
            {copied ? t('ruleset.copied') : t('ruleset.copy')}
          </button>
        </div>
      </div>
      <p className="muted">{t('ruleset.body')}</p>
      <span className="sr-only" role="status">{copied ? t('ruleset.copied') : ''}</span>
      {ruleset === undefined ? <p className="muted">{connected ? t('common:loading') : t('ruleset.unavailable')}</p>
        : ruleset.trim() === '' ? <p className="muted" data-testid="ruleset-empty">{t('ruleset.empty')}</p>
          : <pre ref={pre} data-testid="ruleset" tabIndex={0} aria-label={t('ruleset.title')} style={PRE_STYLE}>{ruleset}</pre>}
    </section>
  );
}

export function Settings() {
  const { t } = useTranslation(['settings', 'common']);
  return (
    <div className="screen" data-testid="screen-settings">
      <div className="screen-head"><div><h1>{t('title')}</h1><p className="muted">{t('subtitle')}</p></div></div>
      <div className="stack" style={{ gap: 14 }}>
        <GeneralCard />
        <PolicyCard />
        <RulesetCard />
      </div>
    </div>
  );
}
