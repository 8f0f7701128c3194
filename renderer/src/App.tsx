// The window: navigation on the left, the current screen on the right, standing banners above
// it, and the prompt / network question as dialogs.
import { useEffect } from 'react';
import { useTranslation } from 'react-i18next';
import { useStore } from './store';
import type { Screen } from '../../shared/ipc/contract';
import { SCREENS, SCREEN_ORDER } from './screens';
import { HelperBanner, PendingChangeBar } from './components/Banners';
import { Notices } from './components/Notices';
import { PromptDialog } from './components/PromptDialog';
import { NetworkQuestion } from './components/NetworkQuestion';
import { NavIcon, ShieldIcon } from './components/icons';
import { resolveLanguage, setLanguage } from './i18n';

function useTheme(): void {
  const theme = useStore((s) => s.settings?.theme ?? 'system');
  useEffect(() => {
    const media = window.matchMedia('(prefers-color-scheme: dark)');
    const apply = () => { document.documentElement.dataset.theme = theme === 'system' ? (media.matches ? 'dark' : 'light') : theme; };
    apply();
    media.addEventListener('change', apply);
    return () => media.removeEventListener('change', apply);
  }, [theme]);
}

function useLanguage(): void {
  const language = useStore((s) => s.settings?.language ?? 'system');
  const system = useStore((s) => s.appInfo?.systemLanguages);
  useEffect(() => { void setLanguage(resolveLanguage(language, system ?? [])); }, [language, system]);
}

function Nav() {
  const { t } = useTranslation();
  const screen = useStore((s) => s.screen);
  const navigate = useStore((s) => s.navigate);
  const promptCount = useStore((s) => s.prompts.length);
  return (
    <nav aria-label={t('appName')}>
      <ul className="nav">
        {SCREEN_ORDER.map((id: Screen) => (
          <li key={id}>
            <button type="button" aria-current={screen === id ? 'page' : undefined} data-testid={`nav-${id}`} onClick={() => navigate(id)}>
              <NavIcon name={id} />
              <span>{t(`nav.${id}`)}</span>
              {id === 'apps' && promptCount > 0 && <span className="badge">{promptCount}</span>}
            </button>
          </li>
        ))}
      </ul>
    </nav>
  );
}

export function App() {
  const { t } = useTranslation(['common', 'shell']);
  useTheme();
  useLanguage();
  const screen = useStore((s) => s.screen);
  const version = useStore((s) => s.appInfo?.version);
  const lab = useStore((s) => s.appInfo?.labMode);
  const Current = SCREENS[screen];
  return (
    <div className="app">
      <a className="skip-link" href="#content">{t('shell:skipToContent')}</a>
      <aside className="sidebar">
        <div className="brand"><ShieldIcon /> {t('appName')}</div>
        <Nav />
        <div className="sidebar-foot muted">Palisade {version}{lab ? ' · lab' : ''}</div>
      </aside>
      <main id="content" tabIndex={-1}>
        <HelperBanner />
        <PendingChangeBar />
        <Current />
      </main>
      <Notices />
      <PromptDialog />
      <NetworkQuestion />
    </div>
  );
}
