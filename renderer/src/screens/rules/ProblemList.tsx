// The problems of one field, in words, tied to the field by id (aria-describedby).
import { useTranslation } from 'react-i18next';
import type { Problem } from './problems';
import { formatDuration } from './durations';

export function ProblemList({ id, problems, testId }: { id: string; problems: Problem[] | undefined; testId: string }) {
  const { t, i18n } = useTranslation('rules');
  if (!problems?.length) return null;
  const number = (n: number | undefined) => (n ?? 0).toLocaleString(i18n.language);
  const time = (s: number | undefined) => formatDuration(s ?? 0, i18n.language);
  return (
    <span id={id} className="error" data-testid={testId}>
      {problems.map((p, i) => (
        <span key={i} style={{ display: 'block' }}>
          {t(`problem.${p.code}`, {
            line: p.line ?? 0, value: p.value ?? '', suggestion: p.suggestion ?? '', detail: p.detail,
            min: number(p.min), max: number(p.max), minTime: time(p.minSeconds), maxTime: time(p.maxSeconds),
          })}
        </span>
      ))}
    </span>
  );
}
