// Errors and notes from recent actions, bottom right; errors stay until dismissed.
import { useTranslation } from 'react-i18next';
import { useStore } from '../store';

export function Notices() {
  const { t } = useTranslation();
  const notices = useStore((s) => s.notices);
  const dismiss = useStore((s) => s.dismiss);
  if (!notices.length) return null;
  return (
    <div className="notices" role="status" aria-live="polite">
      {notices.map((n) => (
        <div key={n.id} className={`notice ${n.kind}`} data-testid={`notice-${n.kind}`}>
          <span className="grow">
            {n.kind === 'error' && n.code === 'access-denied' ? t('error.accessDenied', { message: n.text })
              : n.kind === 'error' && n.code === 'unavailable' ? t('error.unavailable', { message: n.text })
                : n.kind === 'error' ? t('error.generic', { message: n.text }) : n.text}
          </span>
          <button type="button" className="btn link" onClick={() => dismiss(n.id)}>{t('action.close')}</button>
        </div>
      ))}
    </div>
  );
}
