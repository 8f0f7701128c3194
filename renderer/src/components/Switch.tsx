// An on/off switch that is a real checkbox underneath: keyboard and screen readers work.
import { useId } from 'react';

export function Switch({ checked, onChange, label, disabled = false, testId }: { checked: boolean; onChange: (on: boolean) => void; label: string; disabled?: boolean; testId?: string }) {
  const id = useId();
  return (
    <span className="switch">
      <input id={id} type="checkbox" role="switch" checked={checked} disabled={disabled} aria-label={label} data-testid={testId} onChange={(e) => onChange(e.currentTarget.checked)} />
    </span>
  );
}
