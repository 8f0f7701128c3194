// Keeping live numbers fresh while a screen shows them: the rules' hit counts are read when the
// screen opens, every few seconds while the window is visible, and shortly after the helper
// announces blocked attempts (which usually means counters moved). Nothing re-renders unless a
// count a component selected changed.
import { useEffect } from 'react';
import { useStore } from './index';

const HIT_COUNT_MS = 5000;
/** After blocked attempts arrive, read the counters again within this long (at most once). */
const AFTER_DROPS_MS = 800;

export function useHitCounts(): void {
  const load = useStore((s) => s.loadHitCounts);
  const connected = useStore((s) => s.helper?.connection === 'connected');
  const revision = useStore((s) => s.status?.revision);
  useEffect(() => {
    if (!connected) return;
    let soon: ReturnType<typeof setTimeout> | undefined;
    const tick = () => { if (document.visibilityState === 'visible') void load(); };
    tick();
    const timer = setInterval(tick, HIT_COUNT_MS);
    // Subscribed outside React: a batch of drops must not re-render the screen by itself.
    const unsubscribe = useStore.subscribe((state, previous) => {
      if (state.drops !== previous.drops && soon === undefined) soon = setTimeout(() => { soon = undefined; tick(); }, AFTER_DROPS_MS);
    });
    const onVisibility = () => { if (document.visibilityState === 'visible') tick(); };
    document.addEventListener('visibilitychange', onVisibility);
    return () => {
      clearInterval(timer);
      clearTimeout(soon);
      unsubscribe();
      document.removeEventListener('visibilitychange', onVisibility);
    };
    // A new policy revision (a rule added, say) reads the counts again at once.
  }, [connected, load, revision]);
}

/** Packets a port rule, an app or a profile-level rule matched; undefined when not known. */
export function useHitCount(kind: 'port' | 'app' | 'profile', id: string): number | undefined {
  return useStore((s) => s.hitCounts?.[kind][id]);
}

/** Packets a limited rule (port or app) turned away: the ones that went over a rate and those from sources blocked for it. */
export function useLimitedCount(kind: 'port' | 'app', id: string): number | undefined {
  return useStore((s) => {
    const counts = s.hitCounts;
    if (!counts) return undefined;
    const over = counts[kind][`${id}-over-limit`] ?? counts.profile[`${id}-over-limit`];
    const limited = counts[kind][`${id}-limited`] ?? counts.profile[`${id}-limited`];
    return over === undefined && limited === undefined ? undefined : (over ?? 0) + (limited ?? 0);
  });
}
