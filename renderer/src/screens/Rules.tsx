// Port rules (the advanced console): every rule with its action, direction, ports, networks,
// remote addresses, protections (always open, port knocking, brute-force limits), end time,
// comment, hit count and on/off switch. Block rules stand out; new rules, presets and changes
// go through the editor dialog. Hit counts are read while the screen is open; each row selects
// only its own count, so a new reading re-renders the rows whose numbers moved, nothing else.
import { memo, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useStore } from '../store';
import { useHitCount, useHitCounts, useLimitedCount } from '../store/live';
import type { PortRule } from '../../../shared/policy/schema';
import { PROFILE_NAMES } from '../../../shared/policy/schema';
import { Switch } from '../components/Switch';
import { Dialog } from '../components/Dialog';
import { RuleEditor } from './rules/RuleEditor';
import { formatPorts, presetDraft, type Draft } from './rules/draft';
import { knockSequence, useProtectionWords } from './rules/words';

function useRuleName(): (rule: PortRule) => string {
  const { t } = useTranslation('rules');
  return (rule) => rule.comment || t('ruleLabel', { action: t(`action.${rule.action}`), protocol: t(`protocol.${rule.protocol}`), ports: formatPorts(rule.ports) });
}

/** Packets the rule decided, and for a limited rule the ones the limit turned away. */
const HitsCell = memo(function HitsCell({ rule }: { rule: PortRule }) {
  const { t, i18n } = useTranslation('rules');
  const hits = useHitCount('port', rule.id);
  const limited = useLimitedCount('port', rule.id);
  return (
    <td data-testid={`rule-${rule.id}-hits`} data-hits={hits ?? ''} data-limited={limited ?? ''} title={t('hitsHint')} style={{ whiteSpace: 'nowrap' }}>
      {hits === undefined
        ? <span className="muted" aria-label={t('hitsUnknown')}>—</span>
        : <span className="mono" aria-label={t('hitsLabel', { hits: hits.toLocaleString(i18n.language) })}>{hits.toLocaleString(i18n.language)}</span>}
      {rule.limit && limited !== undefined && limited > 0 && (
        <small className="status warn" style={{ display: 'block', fontWeight: 'normal' }} data-testid={`rule-${rule.id}-limited`}>
          {t('overLimit', { blocked: limited.toLocaleString(i18n.language) })}
        </small>
      )}
    </td>
  );
});

function Protections({ rule }: { rule: PortRule }) {
  const { t } = useTranslation('rules');
  const words = useProtectionWords();
  if (!rule.alwaysOpen && !rule.knock && !rule.limit) return <td className="muted">—</td>;
  return (
    <td>
      <span className="stack" style={{ gap: 4 }}>
        {rule.alwaysOpen && <span><span className="chip" data-testid={`rule-${rule.id}-always-open`}>{t('badge.alwaysOpen')}</span></span>}
        {rule.knock && (
          <span title={words.knock(rule.knock)}>
            <span className="chip accent" data-testid={`rule-${rule.id}-knock`}>{t('badge.knock')}</span>
            <small className="muted mono" style={{ display: 'block' }}>{knockSequence(rule.knock)}</small>
          </span>
        )}
        {rule.limit && (
          <span title={words.limit(rule.limit)}>
            <span className="chip accent" data-testid={`rule-${rule.id}-limit`}>{t('badge.limit')}</span>
            <small className="muted" style={{ display: 'block' }}>{words.rates(rule.limit)}</small>
          </span>
        )}
      </span>
    </td>
  );
}

function RuleRow({ rule, onEdit, onRemove }: { rule: PortRule; onEdit: () => void; onRemove: () => void }) {
  const { t, i18n } = useTranslation(['rules', 'common']);
  const change = useStore((s) => s.change);
  const ruleName = useRuleName()(rule);
  const [sending, setSending] = useState<boolean | undefined>(undefined);
  const enabled = sending ?? rule.enabled;
  const expires = rule.expires ? new Date(rule.expires) : undefined;
  const ended = expires !== undefined && expires.getTime() <= Date.now();

  const setEnabled = (on: boolean) => {
    setSending(on);
    void change([{ op: 'removePortRule', id: rule.id }, { op: 'addPortRule', rule: { ...rule, enabled: on } }]).finally(() => setSending(undefined));
  };

  return (
    <tr data-testid={`rule-row-${rule.id}`} data-action={rule.action} data-direction={rule.direction} className={enabled && !ended ? undefined : 'muted'}>
      <td style={{ whiteSpace: 'nowrap' }}>
        <span className={`status ${rule.action === 'block' ? 'bad' : 'ok'}`}><span className="dot" />{t(`action.${rule.action}`)}</span>
        <small className="muted" style={{ display: 'block' }} data-testid={`rule-${rule.id}-direction`}>
          <span aria-hidden="true">{rule.direction === 'in' ? '↓ ' : '↑ '}</span>{t(`direction.${rule.direction}`)}
        </small>
      </td>
      <td style={{ whiteSpace: 'nowrap' }}>
        <span className="mono">{formatPorts(rule.ports)}</span>
        <small className="muted" style={{ display: 'block' }}>{t(`protocol.${rule.protocol}`)}</small>
      </td>
      <td>
        <span className="row" style={{ flexWrap: 'wrap', gap: 4 }}>
          {PROFILE_NAMES.filter((p) => rule.profiles.includes(p)).map((p) => <span key={p} className={`chip ${p}`}>{t(`common:profile.${p}Short`)}</span>)}
        </span>
      </td>
      <td className={rule.remote.length ? 'mono' : 'muted'}>
        {rule.remote.length ? rule.remote.map((r) => <span key={r} style={{ display: 'block' }}>{r}</span>) : t('anyRemote')}
      </td>
      <Protections rule={rule} />
      <td style={{ whiteSpace: 'nowrap' }}>
        {expires
          ? <>
            <span style={{ display: 'block' }}>{expires.toLocaleDateString(i18n.language, { dateStyle: 'medium' })}</span>
            <small className="muted" style={{ display: 'block' }}>{expires.toLocaleTimeString(i18n.language, { timeStyle: 'short' })}</small>
            {ended && <span className="chip">{t('expired')}</span>}
          </>
          : <span className="muted">{t('never')}</span>}
      </td>
      <td>{rule.comment}</td>
      <HitsCell rule={rule} />
      <td>
        <Switch checked={enabled} disabled={sending !== undefined} label={t('enableLabel', { rule: ruleName })} testId={`rule-${rule.id}-enabled`} onChange={setEnabled} />
      </td>
      <td>
        <span className="row" style={{ whiteSpace: 'nowrap' }}>
          <button type="button" className="btn link" aria-label={t('editLabel', { rule: ruleName })} data-testid={`rule-${rule.id}-edit`} onClick={onEdit}>{t('common:action.edit')}</button>
          <button type="button" className="btn link" aria-label={t('removeLabel', { rule: ruleName })} data-testid={`rule-${rule.id}-remove`} onClick={onRemove}>{t('common:action.remove')}</button>
        </span>
      </td>
    </tr>
  );
}

function RemoveDialog({ rule, onClose }: { rule: PortRule | undefined; onClose: () => void }) {
  const { t } = useTranslation(['rules', 'common']);
  const change = useStore((s) => s.change);
  const name = useRuleName();
  const remove = () => {
    if (!rule) return;
    onClose();
    void change([{ op: 'removePortRule', id: rule.id }]);
  };
  return (
    <Dialog open={rule !== undefined} onClose={onClose} labelledBy="rule-remove-title" testId="rule-remove-dialog">
      <div className="dialog-head"><h2 id="rule-remove-title">{t('removeTitle')}</h2></div>
      <div className="dialog-body"><p>{rule && t('removeBody', { rule: name(rule) })}</p></div>
      <div className="dialog-foot">
        <button type="button" className="btn primary" data-testid="rule-remove-confirm" onClick={remove}>{t('common:action.remove')}</button>
        <button type="button" className="btn" onClick={onClose}>{t('common:action.cancel')}</button>
      </div>
    </Dialog>
  );
}

/** What the editor is open for: a new rule (empty or from a preset), or the rule with this id. */
type Editing = { kind: 'new'; key: string; initial?: Draft; title?: string } | { kind: 'rule'; id: string };
let newFormCount = 0;

export function Rules() {
  const { t } = useTranslation(['rules', 'common']);
  const rules = useStore((s) => s.policy?.portRules);
  useHitCounts();
  // By port, so a rule keeps its place when it is changed (a change re-adds it at the end).
  const sorted = useMemo(() => [...(rules ?? [])].sort((a, b) => a.ports.from - b.ports.from || a.ports.to - b.ports.to
    || a.protocol.localeCompare(b.protocol) || a.direction.localeCompare(b.direction) || a.action.localeCompare(b.action) || a.id.localeCompare(b.id)), [rules]);
  const [editing, setEditing] = useState<Editing | undefined>(undefined);
  const [removing, setRemoving] = useState<string | undefined>(undefined);
  const edited = editing?.kind === 'rule' ? rules?.find((r) => r.id === editing.id) : undefined;
  const toRemove = rules?.find((r) => r.id === removing);

  const newRule = () => setEditing({ kind: 'new', key: `new-${++newFormCount}` });
  const sshPreset = () => {
    const initial = presetDraft('ssh', ['private']);
    // The preset's comment in the user's language: it names the rule in the list.
    setEditing({ kind: 'new', key: `new-${++newFormCount}`, initial: { ...initial, comment: t('preset.ssh') }, title: t('editor.presetTitle', { preset: t('preset.ssh') }) });
  };

  return (
    <div className="screen" data-testid="screen-rules" style={{ maxWidth: 1280 }}>
      <div className="screen-head">
        <div><h1>{t('title')}</h1><p className="muted">{t('subtitle')}</p></div>
        <div className="actions">
          <button type="button" className="btn" style={{ whiteSpace: 'nowrap' }} data-testid="preset-ssh" aria-label={t('presetSshLabel')} disabled={rules === undefined} onClick={sshPreset}>{t('presetSsh')}</button>
          <button type="button" className="btn primary" style={{ whiteSpace: 'nowrap' }} data-testid="add-rule" disabled={rules === undefined} onClick={newRule}>{t('add')}</button>
        </div>
      </div>
      {rules === undefined ? <p className="muted">{t('common:loading')}</p> : (
        <section className="card" aria-labelledby="rules-list-title" style={{ overflowX: 'auto' }}>
          <h2 id="rules-list-title" className="sr-only">{t('listLabel')}</h2>
          {rules.length === 0 ? <p className="muted" data-testid="rules-empty">{t('empty')}</p> : (
            <table className="compact" aria-labelledby="rules-list-title" data-testid="rules-table">
              <thead>
                <tr>
                  <th scope="col">{t('column.action')}</th>
                  <th scope="col">{t('column.ports')}</th>
                  <th scope="col">{t('column.profiles')}</th>
                  <th scope="col">{t('column.remote')}</th>
                  <th scope="col">{t('column.protection')}</th>
                  <th scope="col">{t('column.expires')}</th>
                  <th scope="col">{t('column.comment')}</th>
                  <th scope="col" title={t('hitsHint')} style={{ whiteSpace: 'nowrap' }}>{t('column.hits')}</th>
                  <th scope="col">{t('column.enabled')}</th>
                  <th scope="col"><span className="sr-only">{t('column.actions')}</span></th>
                </tr>
              </thead>
              <tbody>
                {sorted.map((rule) => (
                  <RuleRow key={rule.id} rule={rule} onEdit={() => setEditing({ kind: 'rule', id: rule.id })} onRemove={() => setRemoving(rule.id)} />
                ))}
              </tbody>
            </table>
          )}
        </section>
      )}
      <RuleEditor open={editing?.kind === 'new' || edited !== undefined} rule={edited}
        {...(editing?.kind === 'new' ? { formKey: editing.key, initial: editing.initial, title: editing.title } : {})}
        onClose={() => setEditing(undefined)}
        {...(edited ? { onRemove: () => { setEditing(undefined); setRemoving(edited.id); } } : {})} />
      <RemoveDialog rule={toRemove} onClose={() => setRemoving(undefined)} />
    </div>
  );
}
