// The port rule editor: a dialog for a new rule (empty, or from a preset) or for changing one
// (sent as "remove the old, add the new" with the same id in one change, so the rule is never
// missing in between and keeps its id and hit count). The draft is checked with the helper's own
// schema and each problem is shown next to its field. Inbound rules may have "always open", port
// knocking and brute-force limits; for outbound rules the port and networks are the remote ones.
import { useEffect, useId, useRef, useState, type FormEvent, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { useStore } from '../../store';
import type { PortRule, ProfileName, RuleAction, RuleProtocol } from '../../../../shared/policy/schema';
import { PROFILE_NAMES } from '../../../../shared/policy/schema';
import type { PolicyEditInput } from '../../../../shared/policy/edits';
import { Dialog } from '../../components/Dialog';
import { EXPIRY_CHOICES, draftFromRule, emptyDraft, toLocalInput, validateDraft, type Direction, type Draft, type ExpiryChoice, type Field } from './draft';
import { ProblemList } from './ProblemList';
import { KnockEditor, LimitEditor } from './ProtectionEditors';

const DIRECTIONS: readonly Direction[] = ['in', 'out'];
const ACTIONS: readonly RuleAction[] = ['allow', 'block'];
const PROTOCOLS: readonly RuleProtocol[] = ['tcp', 'udp', 'both'];

/** The first control that needs correcting: an invalid field, or the invalid control inside an invalid group. */
function firstInvalidControl(form: HTMLFormElement | null): HTMLElement | undefined {
  for (const el of form?.querySelectorAll<HTMLElement>('[aria-invalid="true"]') ?? []) {
    if (el.matches('input, select, textarea')) return el;
    // A group (the networks, the knocks) is not focusable itself: its invalid box is, else its first.
    const inside = el.querySelector<HTMLElement>('input[aria-invalid="true"], select[aria-invalid="true"]') ?? el.querySelector<HTMLElement>('input, select, textarea');
    if (inside) return inside;
  }
  return undefined;
}

function RuleForm({ rule, initial, title, onClose, onRemove }: {
  rule: PortRule | undefined; initial: Draft | undefined; title: string | undefined; onClose: () => void; onRemove: (() => void) | undefined;
}) {
  const { t, i18n } = useTranslation(['rules', 'common']);
  const change = useStore((s) => s.change);
  const ids = useId();
  const form = useRef<HTMLFormElement>(null);
  const [draft, setDraft] = useState<Draft>(() => (rule ? draftFromRule(rule) : initial ?? emptyDraft()));
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
    firstInvalidControl(form.current)?.focus();
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
    <fieldset className="field" {...described(field, false)}>
      <legend>{legend}</legend>
      {children}
      {errors(field)}
    </fieldset>
  );
  const expiryTime = rule?.expires ? new Date(rule.expires).toLocaleString(i18n.language, { dateStyle: 'medium', timeStyle: 'short' }) : undefined;
  const keepsExpiry = rule?.expires !== undefined && draft.expiry === 'at' && draft.expiresAt === toLocalInput(new Date(rule.expires));
  const inbound = draft.direction === 'in';

  return (
    <form ref={form} noValidate onSubmit={(e) => void submit(e)} data-testid="rule-editor" data-direction={draft.direction}>
      <div className="dialog-head"><h2 id="rule-editor-title">{title ?? (rule ? t('editor.editTitle') : t('editor.newTitle'))}</h2></div>
      <div className="dialog-body stack">
        {attempts > 0 && Object.keys(problems).length > 0 && <p className="status bad" role="alert">{t('editor.fixProblems')}</p>}
        <div className="field">
          <label htmlFor={`${ids}-direction`}>{t('editor.direction')}</label>
          <select id={`${ids}-direction`} value={draft.direction} data-testid="rule-direction" {...described('direction', !inbound)}
            onChange={(e) => set('direction', e.currentTarget.value as Direction)}>
            {DIRECTIONS.map((d) => <option key={d} value={d}>{t(`editor.directionOption.${d}`)}</option>)}
          </select>
          {!inbound && hint('direction', t('editor.outboundNote'))}
          {errors('direction')}
        </div>
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
            <label htmlFor={`${ids}-port`} data-testid="rule-port-label">{inbound ? t('editor.port') : t('editor.portOut')}</label>
            <input id={`${ids}-port`} type="text" inputMode="numeric" autoComplete="off" value={draft.port} placeholder={inbound ? '8080' : '443'} data-testid="rule-port"
              {...described('port', true)} onChange={(e) => set('port', e.currentTarget.value)} />
            {hint('port', inbound ? t('editor.portHint') : t('editor.portOutHint'))}
            {errors('port')}
          </div>
        </div>
        {draft.action === 'block' && <p className="muted" style={{ margin: 0 }}>{hint('action', inbound ? t('editor.actionHint') : t('editor.actionHintOut'))}</p>}
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
          <label htmlFor={`${ids}-remote`} data-testid="rule-remote-label">{inbound ? t('editor.remote') : t('editor.remoteOut')}</label>
          <textarea id={`${ids}-remote`} rows={3} className="mono" spellCheck={false} value={draft.remote} placeholder="192.168.1.0/24" data-testid="rule-remote"
            {...described('remote', true)} onChange={(e) => set('remote', e.currentTarget.value)} />
          {hint('remote', inbound ? t('editor.remoteHint') : t('editor.remoteOutHint'))}
          {errors('remote')}
        </div>
        {inbound && (
          <>
            <div className="field">
              <label className="row">
                <input type="checkbox" checked={draft.alwaysOpen} data-testid="rule-always-open" {...described('alwaysOpen', true)}
                  onChange={(e) => { const on = e.currentTarget.checked; set('alwaysOpen', on); }} />
                <span>{t('editor.alwaysOpen')}</span>
              </label>
              {hint('alwaysOpen', t('editor.alwaysOpenHint'))}
              {errors('alwaysOpen')}
            </div>
            <section className="subsection" aria-labelledby={`${ids}-knock-title`} data-testid="rule-knocking">
              <label className="row" id={`${ids}-knock-title`}>
                <input type="checkbox" checked={draft.knocking} data-testid="rule-knock-enabled" aria-describedby={`${ids}-knock-hint`}
                  onChange={(e) => { const on = e.currentTarget.checked; set('knocking', on); }} />
                <span>{t('editor.knock.enable')}</span>
              </label>
              <small id={`${ids}-knock-hint`} className="muted">{t('editor.knock.hint')}</small>
              {draft.knocking && (
                <KnockEditor idPrefix={ids} knocks={draft.knocks} window={draft.knockWindow} open={draft.knockOpen}
                  onChange={(patch) => setDraft((d) => ({ ...d, ...patch }))}
                  problems={{ knock: shown('knock'), knockWindow: shown('knockWindow'), knockOpen: shown('knockOpen') }} />
              )}
            </section>
            <section className="subsection" aria-labelledby={`${ids}-limit-title`} data-testid="rule-limits">
              <label className="row" id={`${ids}-limit-title`}>
                <input type="checkbox" checked={draft.limiting} data-testid="rule-limit-enabled" aria-describedby={`${ids}-limit-hint`}
                  onChange={(e) => { const on = e.currentTarget.checked; set('limiting', on); }} />
                <span>{t('editor.limit.enable')}</span>
              </label>
              <small id={`${ids}-limit-hint`} className="muted">{t('editor.limit.hint')}</small>
              {draft.limiting && (
                <LimitEditor idPrefix={ids} testPrefix="rule-limit" value={draft.limit} onChange={(limit) => set('limit', limit)}
                  problems={{ limit: shown('limit'), limitBlock: shown('limitBlock') }} />
              )}
            </section>
          </>
        )}
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

/** The editor: `rule` to change one; undefined for a new rule, starting from `initial` (a preset) or empty. */
export function RuleEditor({ open, rule, initial, title, formKey, onClose, onRemove }: {
  open: boolean; rule: PortRule | undefined; initial?: Draft | undefined; title?: string | undefined;
  /** A new value starts the form afresh (a new rule after a preset, say). */
  formKey?: string;
  onClose: () => void; onRemove?: () => void;
}) {
  return (
    <Dialog open={open} onClose={onClose} labelledBy="rule-editor-title" testId="rule-editor-dialog" wide>
      <RuleForm key={rule?.id ?? formKey ?? 'new'} rule={rule} initial={initial} title={title} onClose={onClose} onRemove={onRemove} />
    </Dialog>
  );
}
