// Port rules (the advanced console): every rule with its action, protocol, ports, networks,
// remote addresses, "always open", end time, comment and on/off switch. Block rules stand out;
// new rules and changes go through the editor dialog.
import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useStore } from '../store';
import type { PortRule } from '../../../shared/policy/schema';
import { Switch } from '../components/Switch';
import { Dialog } from '../components/Dialog';
import { RuleEditor } from './rules/RuleEditor';
import { formatPorts } from './rules/draft';

function useRuleName(): (rule: PortRule) => string {
  const { t } = useTranslation('rules');
  return (rule) => rule.comment || t('ruleLabel', { action: t(`action.${rule.action}`), protocol: t(`protocol.${rule.protocol}`), ports: formatPorts(rule.ports) });
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
    <tr data-testid={`rule-row-${rule.id}`} data-action={rule.action} className={enabled && !ended ? undefined : 'muted'}>
      <td>
        <span className={`status ${rule.action === 'block' ? 'bad' : 'ok'}`}><span className="dot" />{t(`action.${rule.action}`)}</span>
      </td>
      <td>{t(`protocol.${rule.protocol}`)}</td>
      <td className="mono" style={{ whiteSpace: 'nowrap' }}>{formatPorts(rule.ports)}</td>
      <td>
        <span className="row" style={{ flexWrap: 'wrap', gap: 4 }}>
          {rule.profiles.map((p) => <span key={p} className={`chip ${p}`}>{t(`common:profile.${p}Short`)}</span>)}
        </span>
      </td>
      <td className={rule.remote.length ? 'mono' : 'muted'}>
        {rule.remote.length ? rule.remote.map((r) => <span key={r} style={{ display: 'block' }}>{r}</span>) : t('anyRemote')}
      </td>
      <td>{rule.alwaysOpen ? t('yes') : <span className="muted">{t('no')}</span>}</td>
      <td>
        {expires
          ? <>{expires.toLocaleString(i18n.language, { dateStyle: 'medium', timeStyle: 'short' })}{ended && <> <span className="chip">{t('expired')}</span></>}</>
          : <span className="muted">{t('never')}</span>}
      </td>
      <td>{rule.comment}</td>
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

export function Rules() {
  const { t } = useTranslation(['rules', 'common']);
  const rules = useStore((s) => s.policy?.portRules);
  // By port, so a rule keeps its place when it is changed (a change re-adds it at the end).
  const sorted = useMemo(() => [...(rules ?? [])].sort((a, b) => a.ports.from - b.ports.from || a.ports.to - b.ports.to
    || a.protocol.localeCompare(b.protocol) || a.action.localeCompare(b.action) || a.id.localeCompare(b.id)), [rules]);
  // The editor is open for a new rule ('new') or for the rule with this id.
  const [editing, setEditing] = useState<string | undefined>(undefined);
  const [removing, setRemoving] = useState<string | undefined>(undefined);
  const edited = editing === 'new' ? undefined : rules?.find((r) => r.id === editing);
  const toRemove = rules?.find((r) => r.id === removing);

  return (
    <div className="screen" data-testid="screen-rules">
      <div className="screen-head">
        <div><h1>{t('title')}</h1><p className="muted">{t('subtitle')}</p></div>
        <div className="actions">
          <button type="button" className="btn primary" style={{ whiteSpace: 'nowrap' }} data-testid="add-rule" disabled={rules === undefined} onClick={() => setEditing('new')}>{t('add')}</button>
        </div>
      </div>
      {rules === undefined ? <p className="muted">{t('common:loading')}</p> : (
        <section className="card" aria-labelledby="rules-list-title" style={{ overflowX: 'auto' }}>
          <h2 id="rules-list-title" className="sr-only">{t('listLabel')}</h2>
          {rules.length === 0 ? <p className="muted" data-testid="rules-empty">{t('empty')}</p> : (
            <table aria-labelledby="rules-list-title" data-testid="rules-table">
              <thead>
                <tr>
                  <th scope="col">{t('column.action')}</th>
                  <th scope="col">{t('column.protocol')}</th>
                  <th scope="col">{t('column.ports')}</th>
                  <th scope="col">{t('column.profiles')}</th>
                  <th scope="col">{t('column.remote')}</th>
                  <th scope="col">{t('column.alwaysOpen')}</th>
                  <th scope="col">{t('column.expires')}</th>
                  <th scope="col">{t('column.comment')}</th>
                  <th scope="col">{t('column.enabled')}</th>
                  <th scope="col"><span className="sr-only">{t('column.actions')}</span></th>
                </tr>
              </thead>
              <tbody>
                {sorted.map((rule) => (
                  <RuleRow key={rule.id} rule={rule} onEdit={() => setEditing(rule.id)} onRemove={() => setRemoving(rule.id)} />
                ))}
              </tbody>
            </table>
          )}
        </section>
      )}
      <RuleEditor open={editing === 'new' || edited !== undefined} rule={edited} onClose={() => setEditing(undefined)}
        {...(edited ? { onRemove: () => { setEditing(undefined); setRemoving(edited.id); } } : {})} />
      <RemoveDialog rule={toRemove} onClose={() => setRemoving(undefined)} />
    </div>
  );
}
