// The screens, in navigation order.
import type { ComponentType } from 'react';
import type { Screen } from '../../../shared/ipc/contract';
import { Overview } from './Overview';
import { Apps } from './Apps';
import { Rules } from './Rules';
import { Networks } from './Networks';
import { Activity } from './Activity';
import { Exposure } from './Exposure';
import { Settings } from './Settings';

export { SCREEN_ORDER } from './order';

export const SCREENS: Record<Screen, ComponentType> = {
  overview: Overview, apps: Apps, rules: Rules, networks: Networks, activity: Activity, exposure: Exposure, settings: Settings,
};
