// The screens in navigation order (kept apart from the components, so tests can import it).
import type { Screen } from '../../../shared/ipc/contract';

export const SCREEN_ORDER: Screen[] = ['overview', 'apps', 'rules', 'networks', 'activity', 'exposure', 'settings'];
