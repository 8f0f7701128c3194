// Boot: find the API (preload or lab bridge), load settings and language, render.
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import './styles.css';
import { connectApi, call } from './api/client';
import { bootStore } from './store';
import { initI18n, resolveLanguage } from './i18n';
import { App } from './App';

async function boot(): Promise<void> {
  const root = createRoot(document.getElementById('root') as HTMLElement);
  if (!connectApi()) {
    await initI18n(resolveLanguage('system', []));
    root.render(<p style={{ padding: 24 }}>Palisade: this page must be opened by the Palisade app or its lab.</p>);
    return;
  }
  const [settings, info] = await Promise.all([call('settings:get', {}), call('app:info', {})]);
  await initI18n(resolveLanguage(settings.language, info.systemLanguages));
  await bootStore();
  root.render(<StrictMode><App /></StrictMode>);
}

void boot();
