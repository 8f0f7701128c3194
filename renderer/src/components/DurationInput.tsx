// A length of time as people type it: a whole number and a unit (seconds, minutes, hours).
import { useTranslation } from 'react-i18next';
import { DURATION_UNITS, type DurationDraft, type DurationUnit } from '../screens/rules/durations';

export function DurationInput({ id, value, onChange, label, testId, describedBy, invalid }: {
  id: string; value: DurationDraft; onChange: (value: DurationDraft) => void;
  /** What the field is called (the unit's select is named after it). */
  label: string; testId: string; describedBy?: string | undefined; invalid?: boolean | undefined;
}) {
  const { t } = useTranslation();
  return (
    <span className="row" style={{ gap: 6 }}>
      <input id={id} type="text" inputMode="numeric" autoComplete="off" value={value.amount} style={{ width: 72 }} data-testid={testId}
        aria-invalid={invalid || undefined} aria-describedby={describedBy}
        onChange={(e) => onChange({ ...value, amount: e.currentTarget.value })} />
      <select value={value.unit} aria-label={t('unitOf', { field: label })} data-testid={`${testId}-unit`}
        onChange={(e) => onChange({ ...value, unit: e.currentTarget.value as DurationUnit })}>
        {DURATION_UNITS.map((u) => <option key={u} value={u}>{t(`unit.${u}`)}</option>)}
      </select>
    </span>
  );
}
