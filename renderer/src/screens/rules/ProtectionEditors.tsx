// The parts of the editors that describe protections: the knock sequence (add, remove, reorder;
// the time between knocks; how long the port stays open) and brute-force limits ("at most N new
// connections per T", up to four, then a block time). Used by the port rule editor, and the
// limits also by an allowed app's details. Every control has a name a screen reader reads out
// ("Port of knock 2"), and the keyboard follows an item that moves or goes.
import { useEffect, useRef, useState, type ReactNode, type RefObject } from 'react';
import { useTranslation } from 'react-i18next';
import { DurationInput } from '../../components/DurationInput';
import { BOUNDS, newRateKey, parseWhole, type DurationDraft, type LimitDraft } from './durations';
import { newKnock, type KnockDraft, type KnockProtocol } from './draft';
import type { Problem } from './problems';
import { ProblemList } from './ProblemList';

const KNOCK_PROTOCOLS: readonly KnockProtocol[] = ['tcp', 'udp'];

/** Where the keyboard should go after a change to a list: an element found by selector once the list has re-rendered. */
function useFocusAfter(container: RefObject<HTMLElement | null>) {
  const [target, setTarget] = useState<string | undefined>(undefined);
  useEffect(() => {
    if (!target) return;
    const candidates = target.split(',').map((s) => container.current?.querySelector<HTMLElement>(s.trim()));
    candidates.find((el) => el && !(el as HTMLButtonElement).disabled)?.focus();
    setTarget(undefined);
  }, [target, container]);
  return setTarget;
}

/** A field's problems with the id that ties them to the field, or nothing. */
function errorsFor(id: string, problems: Problem[] | undefined, testId: string): { node: ReactNode; describedBy: string | undefined; invalid: boolean } {
  const shown = problems?.length ? problems : undefined;
  return { node: <ProblemList id={id} problems={shown} testId={testId} />, describedBy: shown ? id : undefined, invalid: shown !== undefined };
}

export function KnockEditor({ idPrefix, knocks, window, open, onChange, problems }: {
  idPrefix: string;
  knocks: KnockDraft[];
  window: DurationDraft;
  open: DurationDraft;
  onChange: (patch: { knocks?: KnockDraft[]; knockWindow?: DurationDraft; knockOpen?: DurationDraft }) => void;
  problems: { knock?: Problem[] | undefined; knockWindow?: Problem[] | undefined; knockOpen?: Problem[] | undefined };
}) {
  const { t } = useTranslation(['rules', 'common']);
  const list = useRef<HTMLDivElement>(null);
  const focusAfter = useFocusAfter(list);
  const knockErrors = errorsFor(`${idPrefix}-knock-error`, problems.knock, 'rule-knock-error');
  const windowErrors = errorsFor(`${idPrefix}-knockWindow-error`, problems.knockWindow, 'rule-knockWindow-error');
  const openErrors = errorsFor(`${idPrefix}-knockOpen-error`, problems.knockOpen, 'rule-knockOpen-error');
  // Knocks named in a problem are marked on their own port field.
  const badLines = new Set((problems.knock ?? []).map((p) => p.line).filter((l) => l !== undefined));

  const update = (key: number, patch: Partial<KnockDraft>) => onChange({ knocks: knocks.map((k) => (k.key === key ? { ...k, ...patch } : k)) });
  const move = (index: number, by: -1 | 1) => {
    const next = [...knocks];
    const [item] = next.splice(index, 1);
    if (!item) return;
    next.splice(index + by, 0, item);
    onChange({ knocks: next });
    // The button pressed stays under the keyboard; at an end of the list, its partner takes over.
    const here = `[data-knock="${item.key}"]`;
    focusAfter(by < 0 ? `${here} [data-move="up"], ${here} [data-move="down"]` : `${here} [data-move="down"], ${here} [data-move="up"]`);
  };
  const remove = (index: number) => {
    const next = knocks.filter((_, i) => i !== index);
    onChange({ knocks: next });
    const neighbour = next[Math.min(index, next.length - 1)];
    focusAfter(neighbour ? `[data-knock="${neighbour.key}"] [data-remove]` : '[data-add-knock]');
  };
  const add = () => {
    const knock = newKnock(knocks[knocks.length - 1]?.protocol ?? 'tcp');
    onChange({ knocks: [...knocks, knock] });
    focusAfter(`[data-knock="${knock.key}"] input`);
  };

  return (
    <div className="stack" ref={list} style={{ gap: 8 }}>
      <fieldset className="field" aria-invalid={knockErrors.invalid || undefined} aria-describedby={knockErrors.describedBy}>
        <legend>{t('editor.knock.legend')}</legend>
        <ol className="stack" style={{ listStyle: 'none', margin: 0, padding: 0, gap: 6 }} data-testid="rule-knocks">
          {knocks.map((k, i) => {
            const n = i + 1;
            return (
              <li key={k.key} className="row" style={{ gap: 6 }} data-knock={k.key} data-testid={`rule-knock-${i}`}>
                <span className="muted" style={{ minWidth: 64 }} aria-hidden="true">{t('editor.knock.item', { n })}</span>
                <select value={k.protocol} aria-label={t('editor.knock.protocol', { n })} data-testid={`rule-knock-${i}-protocol`}
                  onChange={(e) => update(k.key, { protocol: e.currentTarget.value as KnockProtocol })}>
                  {KNOCK_PROTOCOLS.map((p) => <option key={p} value={p}>{t(`protocol.${p}`)}</option>)}
                </select>
                <input type="text" inputMode="numeric" autoComplete="off" value={k.port} placeholder="7001" style={{ width: 90 }}
                  aria-label={t('editor.knock.port', { n })} aria-invalid={badLines.has(n) || undefined} aria-describedby={badLines.has(n) ? knockErrors.describedBy : undefined}
                  data-testid={`rule-knock-${i}-port`} onChange={(e) => update(k.key, { port: e.currentTarget.value })} />
                <button type="button" className="btn icon" data-move="up" disabled={i === 0} aria-label={t('editor.knock.up', { n })}
                  data-testid={`rule-knock-${i}-up`} onClick={() => move(i, -1)}><span aria-hidden="true">↑</span></button>
                <button type="button" className="btn icon" data-move="down" disabled={i === knocks.length - 1} aria-label={t('editor.knock.down', { n })}
                  data-testid={`rule-knock-${i}-down`} onClick={() => move(i, 1)}><span aria-hidden="true">↓</span></button>
                <button type="button" className="btn icon" data-remove aria-label={t('editor.knock.remove', { n })}
                  data-testid={`rule-knock-${i}-remove`} onClick={() => remove(i)}><span aria-hidden="true">✕</span></button>
              </li>
            );
          })}
        </ol>
        <span>
          <button type="button" className="btn" data-add-knock disabled={knocks.length >= BOUNDS.knocks} data-testid="rule-knock-add" onClick={add}>{t('editor.knock.add')}</button>
        </span>
        {knockErrors.node}
      </fieldset>
      <div className="row" style={{ flexWrap: 'wrap', alignItems: 'flex-start', gap: 16 }}>
        <div className="field">
          <label htmlFor={`${idPrefix}-knock-window`}>{t('editor.knock.window')}</label>
          <DurationInput id={`${idPrefix}-knock-window`} value={window} label={t('editor.knock.window')} testId="rule-knock-window"
            describedBy={windowErrors.describedBy} invalid={windowErrors.invalid} onChange={(v) => onChange({ knockWindow: v })} />
          {windowErrors.node}
        </div>
        <div className="field">
          <label htmlFor={`${idPrefix}-knock-open`}>{t('editor.knock.open')}</label>
          <DurationInput id={`${idPrefix}-knock-open`} value={open} label={t('editor.knock.open')} testId="rule-knock-open"
            describedBy={[`${idPrefix}-knock-open-hint`, openErrors.describedBy].filter(Boolean).join(' ')} invalid={openErrors.invalid}
            onChange={(v) => onChange({ knockOpen: v })} />
          {openErrors.node}
        </div>
      </div>
      <small id={`${idPrefix}-knock-open-hint`} className="muted" style={{ marginTop: -4 }}>{t('editor.knock.openHint')}</small>
    </div>
  );
}

export function LimitEditor({ idPrefix, testPrefix, value, onChange, problems }: {
  idPrefix: string;
  /** "rule-limit" in the rule editor, "app-limit" in an app's details. */
  testPrefix: string;
  value: LimitDraft;
  onChange: (value: LimitDraft) => void;
  problems: { limit?: Problem[] | undefined; limitBlock?: Problem[] | undefined };
}) {
  const { t } = useTranslation(['rules', 'common']);
  const list = useRef<HTMLDivElement>(null);
  const focusAfter = useFocusAfter(list);
  const ratesErrors = errorsFor(`${idPrefix}-limit-error`, problems.limit, `${testPrefix}-error`);
  const blockErrors = errorsFor(`${idPrefix}-limitBlock-error`, problems.limitBlock, `${testPrefix}-block-error`);
  const badLines = new Set((problems.limit ?? []).map((p) => p.line).filter((l) => l !== undefined));

  const setRate = (key: number, patch: Partial<LimitDraft['rates'][number]>) => onChange({ ...value, rates: value.rates.map((r) => (r.key === key ? { ...r, ...patch } : r)) });
  const remove = (index: number) => {
    const rates = value.rates.filter((_, i) => i !== index);
    onChange({ ...value, rates });
    const neighbour = rates[Math.min(index, rates.length - 1)];
    focusAfter(neighbour ? `[data-rate="${neighbour.key}"] [data-remove]` : '[data-add-rate]');
  };
  const add = () => {
    // A longer period after a short one, as in "3 in 10 seconds, and 4 in 30 minutes".
    const last = value.rates[value.rates.length - 1];
    const lastCount = last ? parseWhole(last.count) : undefined;
    const rate = { key: newRateKey(), count: String(lastCount !== undefined ? lastCount + 1 : 3), period: { amount: '30', unit: 'min' as const } };
    onChange({ ...value, rates: [...value.rates, rate] });
    focusAfter(`[data-rate="${rate.key}"] input`);
  };

  return (
    <div className="stack" ref={list} style={{ gap: 8 }}>
      <fieldset className="field" aria-invalid={ratesErrors.invalid || undefined} aria-describedby={ratesErrors.describedBy}>
        <legend>{t('editor.limit.legend')}</legend>
        <ol className="stack" style={{ listStyle: 'none', margin: 0, padding: 0, gap: 6 }} data-testid={`${testPrefix}-rates`}>
          {value.rates.map((r, i) => {
            const n = i + 1;
            const bad = badLines.has(n);
            return (
              <li key={r.key} className="row" style={{ gap: 6, flexWrap: 'wrap' }} data-rate={r.key} data-testid={`${testPrefix}-${i}`}>
                <span aria-hidden="true">{t('editor.limit.atMost')}</span>
                <input type="text" inputMode="numeric" autoComplete="off" value={r.count} style={{ width: 72 }}
                  aria-label={t('editor.limit.count', { n })} aria-invalid={bad || undefined} aria-describedby={bad ? ratesErrors.describedBy : undefined}
                  data-testid={`${testPrefix}-${i}-count`} onChange={(e) => setRate(r.key, { count: e.currentTarget.value })} />
                <span aria-hidden="true">{t('editor.limit.per')}</span>
                <DurationInput id={`${idPrefix}-rate-${r.key}`} value={r.period} label={t('editor.limit.period', { n })} testId={`${testPrefix}-${i}-period`}
                  describedBy={bad ? ratesErrors.describedBy : undefined} invalid={bad} onChange={(period) => setRate(r.key, { period })} />
                <button type="button" className="btn icon" data-remove aria-label={t('editor.limit.remove', { n })}
                  data-testid={`${testPrefix}-${i}-remove`} onClick={() => remove(i)}><span aria-hidden="true">✕</span></button>
              </li>
            );
          })}
        </ol>
        <span>
          <button type="button" className="btn" data-add-rate disabled={value.rates.length >= BOUNDS.rates} data-testid={`${testPrefix}-add`} onClick={add}>{t('editor.limit.add')}</button>
        </span>
        {ratesErrors.node}
      </fieldset>
      <div className="field">
        <label htmlFor={`${idPrefix}-limit-block`}>{t('editor.limit.block')}</label>
        <DurationInput id={`${idPrefix}-limit-block`} value={value.block} label={t('editor.limit.block')} testId={`${testPrefix}-block`}
          describedBy={blockErrors.describedBy} invalid={blockErrors.invalid} onChange={(block) => onChange({ ...value, block })} />
        {blockErrors.node}
      </div>
    </div>
  );
}
