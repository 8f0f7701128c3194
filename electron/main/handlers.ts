// What each IPC channel does. Firewall reads and changes go to the helper (changes may ask for
// an administrator password through the desktop's polkit agent); app names, settings and the
// lab scan are answered here.
import type { AppInfo, EventChannel, EventPayload } from '../../shared/ipc/contract';
import type { HelperConnection, HelperSignal } from './helper-connection';
import type { DesktopAppsPort, InstallerPort, LabPort, SettingsPort } from './ports';
import { IpcFailure, type InvokeHandlers } from './dispatch';

export interface HandlerDeps {
  helper: HelperConnection;
  apps: DesktopAppsPort;
  settings: SettingsPort;
  info: () => AppInfo;
  installer?: InstallerPort;
  lab?: LabPort;
}

/** Changes ask for authentication through the desktop's polkit agent when needed. */
const INTERACTIVE = { interactive: true } as const;

export function createInvokeHandlers(deps: HandlerDeps): InvokeHandlers {
  const { helper } = deps;
  return {
    'app:info': async () => deps.info(),
    'helper:state': async () => helper.state(),
    'helper:install': async () => {
      if (!deps.installer?.available()) throw new IpcFailure('failed', 'the helper cannot be installed from here; see the README for installing it by hand');
      helper.setInstalling(true);
      try {
        await deps.installer.install();
        helper.setInstalling(false);
      } catch (err) {
        helper.setInstalling(false, (err as Error).message);
        throw new IpcFailure('failed', `installing the helper failed: ${(err as Error).message}`);
      }
      await helper.start();
      return helper.state();
    },
    'firewall:status': () => helper.call('GetStatus', {}),
    'firewall:policy': () => helper.call('GetPolicy', {}),
    'firewall:sockets': (args) => helper.call('ListSockets', { listening: args.listening }),
    'firewall:exposure': () => helper.call('GetExposure', {}),
    'firewall:ruleset': () => helper.call('GetRuleset', {}),
    'firewall:networks': () => helper.call('ListNetworks', {}),
    'firewall:prompts': () => helper.call('ListPrompts', {}),
    'firewall:change': (args) => helper.call('ChangePolicy', { edits: args.edits, ...(args.confirmWithin !== undefined ? { confirmWithin: args.confirmWithin } : {}) }, INTERACTIVE),
    'firewall:import': (args) => helper.call('ReplacePolicy', { policy: args.policy }, INTERACTIVE),
    'firewall:confirm': (args) => helper.call('ConfirmChange', { id: args.id }, INTERACTIVE),
    'firewall:answerPrompt': (args) => helper.call('AnswerPrompt', { id: args.id, decision: args.decision }, INTERACTIVE),
    'apps:describe': (args) => deps.apps.describe(args.identities),
    'apps:installed': () => deps.apps.installed(),
    'settings:get': () => deps.settings.get(),
    'settings:set': (args) => deps.settings.set(args),
    'firewall:dropLog': (args) => helper.call('GetDropLog', { limit: args.limit }),
    'firewall:hitCounts': () => helper.call('GetHitCounts', {}),
    'lab:scan': async (args) => {
      if (!deps.lab) throw new IpcFailure('not-in-lab', '"Scan me" is only available in the lab (npm run lab)');
      return deps.lab.scan(args.interface);
    },
  };
}

export type EventSink = <E extends EventChannel>(event: E, payload: EventPayload<E>) => void;

/** Forwards the helper's state and signals to the renderers as IPC events. */
export function forwardHelperEvents(helper: HelperConnection, send: EventSink): () => void {
  const onState = (state: EventPayload<'helper:state'>) => send('helper:state', state);
  const onSignal = (signal: HelperSignal) => {
    switch (signal.name) {
      case 'StatusChanged': return send('firewall:status', signal.payload);
      case 'ListeningChanged': return send('firewall:listening', signal.payload);
      case 'NewAppPrompt': return send('firewall:prompt', signal.payload);
      case 'PromptClosed': return send('firewall:promptClosed', signal.payload);
      case 'NewNetwork': return send('firewall:newNetwork', signal.payload);
      case 'ChangeRolledBack': return send('firewall:rolledBack', signal.payload);
      case 'DropsLogged': return send('firewall:drops', signal.payload);
    }
  };
  helper.on('state', onState);
  helper.on('signal', onSignal);
  return () => {
    helper.off('state', onState);
    helper.off('signal', onSignal);
  };
}
