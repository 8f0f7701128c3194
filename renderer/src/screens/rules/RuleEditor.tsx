// The port rule editor: a dialog for a new rule or for changing one (sent as "remove the old,
// add the new" in one change, so the rule is never missing in between). The draft is checked
// with the helper's own schema and each problem is shown next to its field.
import { useEffect, useId, useRef, useState, type FormEvent, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { useStore } from '../../store';
import type { PortRule, ProfileName, RuleAction, RuleProtocol } from '../../../../shared/policy/schema';
import { PROFILE_NAMES } from '../../../../shared/policy/schema';
import type { PolicyEditInput } from '../../../../shared/policy/edits';
import { Dialog } from '../../components/Dialog';
import { EXPIRY_CHOICES, draftFromRule, emptyDraft, toLocalInput, validateDraft, type Draft, type ExpiryChoice, type Field, type Problem } from './draft';

const ACTIONS: readonly RuleAction[] = ['allow', 'block'];
const PROTOCOLS: readonly RuleProtocol[] = ['tcp', 'udp', 'both'];

function ProblemList({ id, problems, testId }: { id: string; problems: Problem[] | undefined; testId: string }) {
  const { t } = useTranslation('rules');
  if (!problems?.length) return null;
  return (
    <span id={id} className="error" data-testid={testId}>
      {problems.map((p, i) => (
        <span key={i} style={{ display: 'block' }}>
          {t(`problem.${p.code}`, { line: p.line ?? 0, value: p.value ?? '', suggestion: p.suggestion ?? '', detail: p.detail })}
        </span>
      ))}
    </span>
  );
}

function RuleForm({ rule, onClose, onRemove }: { rule: PortRule | undefined; onClose: () => void; onRemove: (() => void) | undefined }) {
  const { t, i18n } = useTranslation(['rules', 'common']);
  const change = useStore((s) => s.change);
  const ids = useId();
  const form = useRef<HTMLFormElement>(null);
  const [draft, setDraft] = useState<Draft>(() => (rule ? draftFromRule(rule) : emptyDraft()));
  const [attempts, setAttempts] = useState(0);
  const [busy, setBusy] = useState(false);

  const { problems } = validateDraft(draft, new Date(), rule?.id);
  // Problems show from the first save on, then follow the typing. (Not on blur: a message
  // appearing as focus leaves a field moves the Save button from under the pointer.)
  const shown = (field: Field) => (attempts > 0 ? problems[field] : undefined);
  const set = <K extends keyof Draft>(key: K, value: Draft[K]) => setDraft((d) => ({ ...d, [key]: value }));

  // After a refused save, take the keyboard to the first field that needs correcting.
  useEffect(() => {
    if (attempts === 0) return;
    const invalid = form.current?.querySelector<HTMLElement>('[aria-invalid="true"]');
    // A group (the networks) is not focusable itself: its first box is.
    (invalid?.matches('input, select, textarea') ? invalid : invalid?.querySelector<HTMLElement>('input, select, textarea'))?.focus();
  }, [attempts]);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (busy) return;
    const result = validateDraft(draft, new Date(), rule?.id);
    if (!result.rule) {
      setAttempts((n) => n + 1);
      return;
    }
    const edits: PolicyEditInput[] = rule
      ? [{ op: 'removePortRule', id: rule.id }, { op: 'addPortRule', rule: result.rule }]
      : [{ op: 'addPortRule', rule: result.rule }];
    setBusy(true);
    const ok = await change(edits);
    setBusy(false);
    if (ok) onClose();
  };

  /** The attributes tying an input to its hint and problems. */
  const described = (field: Field, hint: boolean) => {
    const problemsShown = shown(field);
    const refs = [hint ? `${ids}-${field}-hint` : '', problemsShown?.length ? `${ids}-${field}-error` : ''].filter(Boolean).join(' ');
    return { 'aria-invalid': problemsShown?.length ? true : undefined, 'aria-describedby': refs || undefined };
  };
  const hint = (field: Field, text: string) => <small id={`${ids}-${field}-hint`} className="muted">{text}</small>;
  const errors = (field: Field) => <ProblemList id={`${ids}-${field}-error`} problems={shown(field)} testId={`rule-${field}-error`} />;
  const fieldset = (legend: string, field: Field, children: ReactNode) => (
    <fieldset className="field" style={{ border: 0, margin: 0, padding: 0, minWidth: 0 }} {...described(field, false)}>
      <legend>{legend}</legend>
      {children}
      {errors(field)}
    </fieldset>
  );
  const expiryTime = rule?.expires ? new Date(rule.expires).toLocaleString(i18n.language, { dateStyle: 'medium', timeStyle: 'short' }) : undefined;
  const keepsExpiry = rule?.expires !== undefined && draft.expiry === 'at' && draft.expiresAt === toLocalInput(new Date(rule.expires));

  return (
    <form ref={form} noValidate onSubmit={(e) => void submit(e)} data-testid="rule-editor">
      <div className="dialog-head"><h2 id="rule-editor-title">{rule ? t('editor.editTitle') : t('editor.newTitle')}</h2></div>
      <div className="dialog-body stack">
        {attempts > 0 && Object.keys(problems).length > 0 && <p className="status bad" role="alert">{t('editor.fixProblems')}</p>}
        <div className="row" style={{ alignItems: 'flex-start', flexWrap: 'wrap' }}>
          <div className="field">
            <label htmlFor={`${ids}-action`}>{t('editor.action')}</label>
            <select id={`${ids}-action`} value={draft.action} data-testid="rule-action" {...described('action', draft.action === 'block')}
              onChange={(e) => set('action', e.currentTarget.value as RuleAction)}>
              {ACTIONS.map((a) => <option key={a} value={a}>{t(`action.${a}`)}</option>)}
            </select>
          </div>
          <div className="field">
            <label htmlFor={`${ids}-protocol`}>{t('editor.protocol')}</label>
            <select id={`${ids}-protocol`} value={draft.protocol} data-testid="rule-protocol" onChange={(e) => set('protocol', e.currentTarget.value as RuleProtocol)}>
              {PROTOCOLS.map((p) => <option key={p} value={p}>{t(`protocol.${p}`)}</option>)}
            </select>
          </div>
          <div className="field" style={{ flex: 1, minWidth: 160 }}>
            <label htmlFor={`${ids}-port`}>{t('editor.port')}</label>
            <input id={`${ids}-port`} type="text" inputMode="numeric" autoComplete="off" value={draft.port} placeholder="8080" data-testid="rule-port"
              {...described('port', true)} onChange={(e) => set('port', e.currentTarget.value)} />
            {hint('port', t('editor.portHint'))}
            {errors('port')}
          </div>
        </div>
        {draft.action === 'block' && <p className="muted" style={{ margin: 0 }}>{hint('action', t('editor.actionHint'))}</p>}
        {fieldset(t('editor.profiles'), 'profiles', (
          <span className="row">
            {PROFILE_NAMES.map((p: ProfileName) => (
              <label key={p} className="row">
                <input type="checkbox" checked={draft.profiles[p]} data-testid={`rule-profile-${p}`}
                  onChange={(e) => { const on = e.currentTarget.checked; setDraft((d) => ({ ...d, profiles: { ...d.profiles, [p]: on } })); }} />
                <span>{t(`common:profile.${p}`)}</span>
              </label>
            ))}
          </span>
        ))}
        <div className="field">
          <label htmlFor={`${ids}-remote`}>{t('editor.remote')}</label>
          <textarea id={`${ids}-remote`} rows={3} className="mono" spellCheck={false} value={draft.remote} placeholder="192.168.1.0/24" data-testid="rule-remote"
            {...described('remote', true)} onChange={(e) => set('remote', e.currentTarget.value)} />
          {hint('remote', t('editor.remoteHint'))}
          {errors('remote')}
        </div>
        <div className="field">
          <label className="row">
            <input type="checkbox" checked={draft.alwaysOpen} data-testid="rule-always-open" {...described('alwaysOpen', true)}
              onChange={(e) => { const on = e.currentTarget.checked; set('alwaysOpen', on); }} />
            <span>{t('editor.alwaysOpen')}</span>
          </label>
          {hint('alwaysOpen', t('editor.alwaysOpenHint'))}
          {errors('alwaysOpen')}
        </div>
        <div className="field">
          <label htmlFor={`${ids}-expiry`}>{t('editor.expires')}</label>
          <span className="row" style={{ flexWrap: 'wrap' }}>
            <select id={`${ids}-expiry`} value={draft.expiry} data-testid="rule-expiry"
              onChange={(e) => {
                const expiry = e.currentTarget.value as ExpiryChoice;
                // Picking a date starts from a day ahead, so the field is never blank and past.
                setDraft((d) => ({ ...d, expiry, expiresAt: expiry === 'at' && !d.expiresAt ? toLocalInput(new Date(Date.now() + 86_400_000)) : d.expiresAt }));
              }}>
              {EXPIRY_CHOICES.map((c) => <option key={c} value={c}>{t(`editor.expiry.${c}`)}</option>)}
            </select>
            {draft.expiry === 'at' && (
              <input type="datetime-local" value={draft.expiresAt} min={toLocalInput(new Date())} aria-label={t('editor.expiresAt')} data-testid="rule-expires-at"
                {...described('expires', false)} onChange={(e) => set('expiresAt', e.currentTarget.value)} />
            )}
          </span>
          {keepsExpiry && expiryTime && <small className="muted">{t('editor.expiresKeep', { time: expiryTime })}</small>}
          {errors('expires')}
        </div>
        <div className="field">
          <label htmlFor={`${ids}-comment`}>{t('editor.comment')}</label>
          <input id={`${ids}-comment`} type="text" value={draft.comment} maxLength={300} data-testid="rule-comment"
            {...described('comment', true)} onChange={(e) => set('comment', e.currentTarget.value)} />
          {hint('comment', t('editor.commentHint'))}
          {errors('comment')}
        </div>
        <label className="row">
          <input type="checkbox" checked={draft.enabled} data-testid="rule-enabled" onChange={(e) => set('enabled', e.currentTarget.checked)} />
          <span>{t('editor.enabled')}</span>
        </label>
        {errors('form')}
      </div>
      <div className="dialog-foot">
        {onRemove && <button type="button" className="btn danger" style={{ marginRight: 'auto' }} data-testid="rule-remove" onClick={onRemove}>{t('common:action.remove')}</button>}
        <button type="submit" className="btn primary" disabled={busy} data-testid="rule-save">{busy ? t('editor.saving') : t('common:action.save')}</button>
        <button type="button" className="btn" onClick={onClose}>{t('common:action.cancel')}</button>
      </div>
    </form>
  );
}

/** The editor: `rule` to change one, undefined for a new rule. */
export function RuleEditor({ open, rule, onClose, onRemove }: { open: boolean; rule: PortRule | undefined; onClose: () => void; onRemove?: () => void }) {
  return (
    <Dialog open={open} onClose={onClose} labelledBy="rule-editor-title" testId="rule-editor-dialog">
      <RuleForm key={rule?.id ?? 'new'} rule={rule} onClose={onClose} onRemove={onRemove} />
    </Dialog>
  );
}
