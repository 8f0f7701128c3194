// Protections in words, for lists and details: "3 per 10 seconds · 4 per 30 minutes; then
// blocked for 30 minutes", "7001/tcp → 7002/udp; each knock within 10 seconds, then open for
// 30 seconds".
import { useMemo } from 'react';
import { useTranslation } from 'react-i18next';
import type { Knocking, RateLimit } from '../../../../shared/policy/schema';
import { formatDuration } from './durations';

export function knockSequence(knock: Pick<Knocking, 'sequence'>): string {
  return knock.sequence.map((k) => `${k.port}/${k.protocol}`).join(' → ');
}

export function useProtectionWords() {
  const { t, i18n } = useTranslation('rules');
  return useMemo(() => {
    const lang = i18n.language;
    const time = (s: number) => formatDuration(s, lang);
    const rates = (limit: Pick<RateLimit, 'rates'>) => limit.rates.map((r) => t('rate', { n: r.count.toLocaleString(lang), period: time(r.seconds) })).join(' · ');
    return {
      time,
      rates,
      limit: (limit: RateLimit) => t('limitSummary', { rates: rates(limit), block: time(limit.blockSeconds) }),
      knock: (knock: Knocking) => t('knockSummary', { sequence: knockSequence(knock), window: time(knock.windowSeconds), open: time(knock.openSeconds) }),
    };
  }, [t, i18n.language]);
}
