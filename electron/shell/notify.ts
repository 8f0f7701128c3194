// Desktop notifications for the shell: the helper's questions (new app listening, new network)
// become notifications on the session bus with answer buttons (electron/main/notifications.ts);
// a click that needs the window opens it on the right screen.
import type { MessageBus } from 'dbus-next';
import { DesktopNotifier, NotificationRouter, type NotificationRouterDeps } from '../main/notifications';

/** The name of the desktop entry the package installs (electron-builder's executableName). */
export const DESKTOP_ENTRY = 'palisade-desktop';

export interface Notifications {
  router: NotificationRouter;
  notifier: DesktopNotifier;
  stop(): void;
}

export function startNotifications(bus: MessageBus, deps: Omit<NotificationRouterDeps, 'notifier'>): Notifications {
  const notifier = new DesktopNotifier(bus, { appName: 'Palisade', desktopEntry: DESKTOP_ENTRY });
  // Started even when no server answers yet: one may start later, and until then every question
  // is still asked in the window.
  const router = new NotificationRouter({ notifier, ...deps });
  router.start();
  void notifier.available().then((yes) => {
    if (!yes) console.warn('palisade: no notification server on the session bus: questions are asked in the window only');
  });
  return {
    router,
    notifier,
    stop() {
      router.stop();
      notifier.dispose();
    },
  };
}
