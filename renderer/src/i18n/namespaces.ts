// Every translation namespace. A screen adds its file here.
import { common } from './common';
import { shell } from './shell';
import { overview } from './overview';
import { apps } from './apps';
import { rules } from './rules';
import { networks } from './networks';
import { activity } from './activity';
import { exposure } from './exposure';
import { settings } from './settings';

export const NAMESPACES = {
  common,
  shell,
  overview,
  apps,
  rules,
  networks,
  activity,
  exposure,
  settings,
} as const;

export type Language = 'en' | 'ja';
