// The main process's strings: English and Japanese have the same keys and the same placeholders,
// and mainText fills them in.
import { describe, expect, it } from 'vitest';
import { MAIN_STRINGS, mainText, type MainStringKey } from '../../electron/main/strings';

const placeholders = (text: string) => [...text.matchAll(/\{\{(\w+)\}\}/g)].map((m) => m[1]).sort();

describe('main-process strings', () => {
  it('has the same keys in English and Japanese, none empty', () => {
    expect(Object.keys(MAIN_STRINGS.ja).sort()).toEqual(Object.keys(MAIN_STRINGS.en).sort());
    for (const lang of ['en', 'ja'] as const) {
      for (const [key, text] of Object.entries(MAIN_STRINGS[lang])) expect(text.trim(), `${lang} ${key}`).not.toBe('');
    }
  });

  it('uses the same placeholders in both languages', () => {
    for (const key of Object.keys(MAIN_STRINGS.en) as MainStringKey[]) {
      expect(placeholders(MAIN_STRINGS.ja[key]), key).toEqual(placeholders(MAIN_STRINGS.en[key]));
    }
  });

  it('fills placeholders, as often as they occur, and leaves unknown ones visible', () => {
    expect(mainText('en', 'prompt.title', { app: 'Firefox' })).toBe('Palisade blocked some features of Firefox');
    expect(mainText('ja', 'prompt.title', { app: 'Firefox' })).toBe('Palisade で Firefox の機能のいくつかがブロックされました');
    expect(mainText('en', 'network.title', { network: 'Café $1 {{x}}' })).toBe('Is Café $1 {{x}} a private network?');
    expect(mainText('en', 'tray.network', { profile: 'Private', network: 'Home Wi-Fi', interface: 'wlan0' })).toBe('Private: Home Wi-Fi (wlan0)');
    expect(mainText('en', 'tray.network', { profile: 'Private' })).toBe('Private: {{network}} ({{interface}})');
    expect(mainText('en', 'tray.stealth')).toBe('Stealth mode');
  });

  it('words the notifications and the tray as Windows does', () => {
    const en = MAIN_STRINGS.en;
    expect([en['prompt.allowPrivate'], en['prompt.allowPublic'], en['prompt.keepBlocked']]).toEqual(['Allow on Private', 'Allow on Public', 'Keep blocked']);
    expect([en['network.yes'], en['network.no']]).toEqual(['Yes, private', 'No, keep public']);
    expect([en['tray.shields'], en['tray.open'], en['tray.quit']]).toEqual(['Block all incoming connections', 'Open Palisade', 'Quit']);
  });
});
