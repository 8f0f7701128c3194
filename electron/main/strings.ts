// The main process's own words: the tray menu and the desktop notifications. The renderer has
// i18next; these few strings do not need it, only English and Japanese side by side with the
// same keys (the compiler checks the Japanese table against the English one) and {{name}}
// placeholders. The wording follows Windows Defender Firewall and the renderer's prompt.

const en = {
  'profile.private': 'Private',
  'profile.public': 'Public',
  'list.separator': ', ',

  'prompt.title': 'Palisade blocked some features of {{app}}',
  'prompt.body': 'It wants to accept connections on {{ports}}. Allow it on private networks (home, work) or public ones (cafés, airports)?',
  'prompt.bodyOpen': 'It wants to accept connections on {{ports}}. Click to open Palisade and choose.',
  'prompt.allowPrivate': 'Allow on Private',
  'prompt.allowPublic': 'Allow on Public',
  'prompt.keepBlocked': 'Keep blocked',

  'network.title': 'Is {{network}} a private network?',
  'network.body': 'New networks are public until you say otherwise. Choose private only for networks you trust, such as at home or work.',
  'network.bodyOpen': 'New networks are public until you say otherwise. Click to open Palisade and choose.',
  'network.yes': 'Yes, private',
  'network.no': 'No, keep public',

  'tray.network': '{{profile}}: {{network}} ({{interface}})',
  'tray.interface': '{{profile}}: {{interface}}',
  'tray.noNetwork': '{{profile}}: not connected',
  'tray.stealth': 'Stealth mode',
  'tray.shields': 'Block all incoming connections',
  'tray.open': 'Open Palisade',
  'tray.quit': 'Quit',

  'tooltip.protected': 'Palisade: the firewall is on',
  'tooltip.stealth': 'Palisade: the firewall is on, in stealth mode',
  'tooltip.shields': 'Palisade: all incoming connections are blocked',
  'tooltip.off': 'Palisade: the firewall is off',
  'tooltip.connecting': 'Palisade: connecting to the helper…',
  'tooltip.missing': 'Palisade: the helper is not running',
  'tooltip.unreachable': 'Palisade: the system bus cannot be reached',
  'tooltip.unauthorized': 'Palisade: you are not authorised to change the firewall',
} as const;

export type MainStringKey = keyof typeof en;

const ja = {
  'profile.private': 'プライベート',
  'profile.public': 'パブリック',
  'list.separator': '、',

  'prompt.title': 'Palisade で {{app}} の機能のいくつかがブロックされました',
  'prompt.body': '{{ports}} で接続を待ち受けようとしています。プライベート ネットワーク (自宅、職場) とパブリック ネットワーク (喫茶店、空港) のどちらで許可しますか?',
  'prompt.bodyOpen': '{{ports}} で接続を待ち受けようとしています。クリックして Palisade を開き、選んでください。',
  'prompt.allowPrivate': 'プライベートで許可',
  'prompt.allowPublic': 'パブリックで許可',
  'prompt.keepBlocked': 'ブロックしたままにする',

  'network.title': '{{network}} はプライベート ネットワークですか?',
  'network.body': '新しいネットワークは、変更するまでパブリックとして扱われます。プライベートは自宅や職場など信頼できるネットワークだけにしてください。',
  'network.bodyOpen': '新しいネットワークは、変更するまでパブリックとして扱われます。クリックして Palisade を開き、選んでください。',
  'network.yes': 'はい、プライベートです',
  'network.no': 'いいえ、パブリックのまま',

  'tray.network': '{{profile}}: {{network}} ({{interface}})',
  'tray.interface': '{{profile}}: {{interface}}',
  'tray.noNetwork': '{{profile}}: 未接続',
  'tray.stealth': 'ステルス モード',
  'tray.shields': 'すべての着信接続をブロック',
  'tray.open': 'Palisade を開く',
  'tray.quit': '終了',

  'tooltip.protected': 'Palisade: ファイアウォールは有効です',
  'tooltip.stealth': 'Palisade: ファイアウォールは有効です (ステルス モード)',
  'tooltip.shields': 'Palisade: すべての着信接続をブロックしています',
  'tooltip.off': 'Palisade: ファイアウォールは無効です',
  'tooltip.connecting': 'Palisade: ヘルパーに接続しています…',
  'tooltip.missing': 'Palisade: ヘルパーが動作していません',
  'tooltip.unreachable': 'Palisade: システム バスに接続できません',
  'tooltip.unauthorized': 'Palisade: ファイアウォールを変更する権限がありません',
} as const satisfies Record<MainStringKey, string>;

export const MAIN_STRINGS = { en, ja } as const;

export type MainLanguage = keyof typeof MAIN_STRINGS;

/** The string for `key` in `lang`, with {{name}} placeholders filled from `vars` (unknown ones stay visible). */
export function mainText(lang: MainLanguage, key: MainStringKey, vars: Readonly<Record<string, string | number>> = {}): string {
  const template: string = MAIN_STRINGS[lang][key];
  return template.replace(/\{\{(\w+)\}\}/g, (whole, name: string) => (Object.hasOwn(vars, name) ? String(vars[name]) : whole));
}
