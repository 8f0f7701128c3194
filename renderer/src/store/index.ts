// The renderer's state, as zustand slices: the link to the helper, the firewall as the helper
// reports it, live sockets and blocked attempts, the rules' hit counts, and the UI. Components
// select the smallest piece they need (a rule's row selects its own count, not the whole
// record); socket and drop events are batched so a busy machine costs one update per frame,
// not one per event.
import { create, type StateCreator } from 'zustand';
import type { AppDescription, AppInfo, HelperState, InvokeArgs, InvokeResult, Screen, Settings } from '../../../shared/ipc/contract';
import type { AppIdentity } from '../../../shared/policy/schema';
import { appKey } from '../../../shared/policy/identity';
import type { MethodResult, Prompt, Status } from '../../../shared/dbus/contract';
import type { Policy } from '../../../shared/policy/schema';
import type { PolicyEditInput } from '../../../shared/policy/edits';
import type { SocketEntry } from '../../../shared/runtime/sockets';
import type { DropEntry, HitCounts } from '../../../shared/runtime/droplog';
import i18next from 'i18next';
import { ApiError, call, subscribe } from '../api/client';

export type Notice = { id: number; kind: 'error' | 'info'; text: string; code?: string };

interface ConnectionSlice {
  appInfo: AppInfo | undefined;
  helper: HelperState | undefined;
  settings: Settings | undefined;
  /** Names and icons of apps, by app key, from their .desktop files. */
  apps: Record<string, AppDescription>;
  describeApps: (identities: AppIdentity[]) => Promise<void>;
  installHelper: () => Promise<void>;
  updateSettings: (patch: Partial<Settings>) => Promise<void>;
}

interface FirewallSlice {
  status: Status | undefined;
  policy: Policy | undefined;
  networks: MethodResult<'ListNetworks'> | undefined;
  prompts: Prompt[];
  exposure: MethodResult<'GetExposure'> | undefined;
  ruleset: string | undefined;
  pendingChange: { id: string; deadline: string } | undefined;
  loadFirewall: () => Promise<void>;
  loadExposure: () => Promise<void>;
  loadRuleset: () => Promise<void>;
  /** Sends edits to the helper; resolves true when they were applied. */
  change: (edits: PolicyEditInput[], opts?: { confirmWithin?: number }) => Promise<boolean>;
  importPolicy: (policy: unknown) => Promise<boolean>;
  confirmChange: () => Promise<void>;
  answerPrompt: (id: string, decision: InvokeArgs<'firewall:answerPrompt'>['decision']) => Promise<boolean>;
}

export function socketKey(s: Pick<SocketEntry, 'protocol' | 'family' | 'address' | 'port' | 'inode' | 'remoteAddress' | 'remotePort'>): string {
  return `${s.protocol}${s.family}|${s.address}|${s.port}|${s.remoteAddress}|${s.remotePort}|${s.inode}`;
}

/** A blocked attempt as the store keeps it: numbered in arrival order, for stable row keys. */
export interface DropItem { id: number; entry: DropEntry }

/** How many blocked attempts the window keeps (the newest). */
export const DROPS_KEPT = 1000;

export type ActivityTab = 'sockets' | 'drops';

interface ActivitySlice {
  sockets: SocketEntry[];
  socketsLoadedAt: number | undefined;
  loadSockets: () => Promise<void>;
  applyListening: (change: { added: SocketEntry[]; removed: SocketEntry[] }) => void;
  /** Recent blocked attempts, oldest first, at most DROPS_KEPT. */
  drops: DropItem[];
  dropsState: { state: 'idle' | 'loading' | 'loaded' } | { state: 'failed'; message: string };
  /** Reads the helper's drop log afresh (replacing what the window had). */
  loadDrops: () => Promise<void>;
  /** Adds blocked attempts the helper announced, dropping the oldest beyond the bound. */
  appendDrops: (entries: readonly DropEntry[]) => void;
}

interface CountersSlice {
  /** Packets each rule matched, as the kernel counts them; undefined until read (or unreadable). */
  hitCounts: HitCounts | undefined;
  /** Reads the counters; a failure leaves the last counts (they are a nicety, never an error). */
  loadHitCounts: () => Promise<void>;
}

interface UiSlice {
  screen: Screen;
  activityTab: ActivityTab;
  setActivityTab: (tab: ActivityTab) => void;
  notices: Notice[];
  /** A prompt or network question the UI should show now (from a notification click or event). */
  focus: { promptId?: string; networkKey?: string } | undefined;
  /** Prompts the user chose to decide later: not shown until asked for again. */
  deferredPrompts: string[];
  deferPrompt: (id: string) => void;
  navigate: (screen: Screen, focus?: { promptId?: string; networkKey?: string }) => void;
  notify: (notice: Omit<Notice, 'id'>) => void;
  dismiss: (id: number) => void;
  /** Reports a failed call as a notice and returns false. */
  fail: (err: unknown) => false;
}

export type AppState = ConnectionSlice & FirewallSlice & ActivitySlice & CountersSlice & UiSlice;
type Slice<T> = StateCreator<AppState, [], [], T>;

const connectionSlice: Slice<ConnectionSlice> = (set, get) => ({
  appInfo: undefined,
  helper: undefined,
  settings: undefined,
  apps: {},
  async describeApps(identities) {
    const known = get().apps;
    const missing = identities.filter((i) => !known[appKey(i)]);
    if (!missing.length) return;
    try {
      const found = await call('apps:describe', { identities: missing });
      set({ apps: { ...get().apps, ...Object.fromEntries(found.map((d) => [appKey(d.identity), d])) } });
    } catch {
      // Names and icons are a nicety: the identity is shown instead.
    }
  },
  async installHelper() {
    try {
      set({ helper: await call('helper:install', {}) });
      await get().loadFirewall();
    } catch (err) {
      get().fail(err);
    }
  },
  async updateSettings(patch) {
    try {
      set({ settings: await call('settings:set', patch) });
    } catch (err) {
      get().fail(err);
    }
  },
});

const firewallSlice: Slice<FirewallSlice> = (set, get) => ({
  status: undefined,
  policy: undefined,
  networks: undefined,
  prompts: [],
  exposure: undefined,
  ruleset: undefined,
  pendingChange: undefined,
  async loadFirewall() {
    try {
      const [status, policy, networks, prompts] = await Promise.all([
        call('firewall:status', {}), call('firewall:policy', {}), call('firewall:networks', {}), call('firewall:prompts', {}),
      ]);
      set({ status, policy, networks, prompts, pendingChange: status.pendingChange });
    } catch (err) {
      get().fail(err);
    }
  },
  async loadExposure() {
    try {
      set({ exposure: await call('firewall:exposure', {}) });
    } catch (err) {
      get().fail(err);
    }
  },
  async loadRuleset() {
    try {
      set({ ruleset: (await call('firewall:ruleset', {})).text });
    } catch (err) {
      get().fail(err);
    }
  },
  async change(edits, opts = {}) {
    try {
      const result: InvokeResult<'firewall:change'> = await call('firewall:change', { edits, ...opts });
      if (result.pending) set({ pendingChange: result.pending });
      await get().loadFirewall();
      return true;
    } catch (err) {
      return get().fail(err);
    }
  },
  async importPolicy(policy) {
    try {
      await call('firewall:import', { policy });
      await get().loadFirewall();
      return true;
    } catch (err) {
      return get().fail(err);
    }
  },
  async confirmChange() {
    const pending = get().pendingChange;
    if (!pending) return;
    try {
      await call('firewall:confirm', { id: pending.id });
      set({ pendingChange: undefined });
    } catch (err) {
      get().fail(err);
    }
  },
  async answerPrompt(id, decision) {
    try {
      await call('firewall:answerPrompt', { id, decision });
      set({ prompts: get().prompts.filter((p) => p.id !== id) });
      await get().loadFirewall();
      return true;
    } catch (err) {
      return get().fail(err);
    }
  },
});

let dropId = 0;
/** Attempts announced while the log is being read: kept, unless the log already had them. */
let announcedWhileLoading: DropEntry[] | undefined;
const dropKey = (e: DropEntry) => JSON.stringify([e.time, e.interface, e.direction, e.kind, e.ruleId, e.protocol, e.source, e.sourcePort, e.destination, e.destinationPort]);

const activitySlice: Slice<ActivitySlice> = (set, get) => ({
  sockets: [],
  socketsLoadedAt: undefined,
  async loadSockets() {
    try {
      set({ sockets: await call('firewall:sockets', { listening: false }), socketsLoadedAt: Date.now() });
    } catch (err) {
      get().fail(err);
    }
  },
  applyListening({ added, removed }) {
    // The port is part of a socket's key: only sockets on the ports that changed need keying,
    // not every one of a busy machine's thousands, many times a second.
    const ports = new Set([...added, ...removed].map((s) => s.port));
    const gone = new Set(removed.map(socketKey));
    const current = get().sockets.filter((s) => !ports.has(s.port) || !gone.has(socketKey(s)));
    const known = new Set(current.filter((s) => ports.has(s.port)).map(socketKey));
    set({ sockets: [...current, ...added.filter((s) => !known.has(socketKey(s)))] });
  },
  drops: [],
  dropsState: { state: 'idle' },
  async loadDrops() {
    if (get().dropsState.state === 'loading') return;
    set({ dropsState: { state: 'loading' } });
    announcedWhileLoading = [];
    try {
      const entries = await call('firewall:dropLog', { limit: DROPS_KEPT });
      const last = entries[entries.length - 1]?.time ?? '';
      const inLog = new Set(entries.filter((e) => e.time >= last).map(dropKey));
      const later = announcedWhileLoading.filter((e) => e.time >= last && !inLog.has(dropKey(e)));
      set({ drops: [...entries, ...later].slice(-DROPS_KEPT).map((entry) => ({ id: ++dropId, entry })), dropsState: { state: 'loaded' } });
    } catch (err) {
      set({ dropsState: { state: 'failed', message: (err as Error).message ?? String(err) } });
    } finally {
      announcedWhileLoading = undefined;
    }
  },
  appendDrops(entries) {
    if (!entries.length) return;
    announcedWhileLoading?.push(...entries);
    const added = entries.slice(-DROPS_KEPT).map((entry) => ({ id: ++dropId, entry }));
    const current = get().drops;
    const keep = Math.max(0, DROPS_KEPT - added.length);
    set({ drops: [...(current.length > keep ? current.slice(current.length - keep) : current), ...added] });
  },
});

const countersSlice: Slice<CountersSlice> = (set) => ({
  hitCounts: undefined,
  async loadHitCounts() {
    try {
      set({ hitCounts: await call('firewall:hitCounts', {}) });
    } catch {
      // An older helper, or one that is restarting: the counts stay as they were.
    }
  },
});

let noticeId = 0;
const uiSlice: Slice<UiSlice> = (set, get) => ({
  screen: 'overview',
  activityTab: 'sockets',
  setActivityTab(activityTab) {
    set({ activityTab });
  },
  notices: [],
  focus: undefined,
  deferredPrompts: [],
  deferPrompt(id) {
    set({ deferredPrompts: [...get().deferredPrompts, id], focus: get().focus?.promptId === id ? undefined : get().focus });
  },
  navigate(screen, focus) {
    // Asking for a prompt by name brings it back even if it was put off.
    const deferredPrompts = focus?.promptId ? get().deferredPrompts.filter((p) => p !== focus.promptId) : get().deferredPrompts;
    set({ screen, focus, deferredPrompts });
  },
  notify(notice) {
    const id = ++noticeId;
    set({ notices: [...get().notices.slice(-4), { ...notice, id }] });
    if (notice.kind === 'info') setTimeout(() => get().dismiss(id), 6000);
  },
  dismiss(id) {
    set({ notices: get().notices.filter((n) => n.id !== id) });
  },
  fail(err) {
    const code = err instanceof ApiError ? err.code : 'failed';
    get().notify({ kind: 'error', text: (err as Error).message ?? String(err), code });
    return false;
  },
});

export const useStore = create<AppState>()((...a) => ({
  ...connectionSlice(...a),
  ...firewallSlice(...a),
  ...activitySlice(...a),
  ...countersSlice(...a),
  ...uiSlice(...a),
}));

/** Runs `fn` at most once per animation frame with everything queued since. */
function perFrame<T>(fn: (batch: T[]) => void): (item: T) => void {
  let queue: T[] = [];
  let scheduled = false;
  return (item) => {
    queue.push(item);
    if (scheduled) return;
    scheduled = true;
    requestAnimationFrame(() => {
      const batch = queue;
      queue = [];
      scheduled = false;
      fn(batch);
    });
  };
}

/** Loads the first state and follows the main process's events. */
export async function bootStore(): Promise<void> {
  const { getState: get, setState: set } = useStore;
  const [appInfo, settings, helper] = await Promise.all([call('app:info', {}), call('settings:get', {}), call('helper:state', {})]);
  set({ appInfo, settings, helper });
  if (helper.connection === 'connected') await get().loadFirewall();

  subscribe('helper:state', (state) => {
    const was = get().helper?.connection;
    set({ helper: state });
    if (state.connection === 'connected' && was !== 'connected') void get().loadFirewall();
  });
  subscribe('firewall:status', (status) => {
    const revisionChanged = status.revision !== get().status?.revision;
    set({ status, pendingChange: status.pendingChange });
    if (revisionChanged) {
      void Promise.all([call('firewall:policy', {}), call('firewall:networks', {})])
        .then(([policy, networks]) => set({ policy, networks }), (err: unknown) => get().fail(err));
    } else {
      void call('firewall:networks', {}).then((networks) => set({ networks }), () => undefined);
    }
  });
  const listening = perFrame<{ added: SocketEntry[]; removed: SocketEntry[] }>((batch) => {
    get().applyListening({ added: batch.flatMap((b) => b.added), removed: batch.flatMap((b) => b.removed) });
  });
  subscribe('firewall:listening', listening);
  const drops = perFrame<DropEntry[]>((batch) => get().appendDrops(batch.flat()));
  subscribe('firewall:drops', drops);
  subscribe('firewall:prompt', (prompt) => set({ prompts: [...get().prompts.filter((p) => p.id !== prompt.id), prompt] }));
  subscribe('firewall:promptClosed', ({ id }) => set({ prompts: get().prompts.filter((p) => p.id !== id) }));
  subscribe('firewall:newNetwork', () => { void call('firewall:networks', {}).then((networks) => set({ networks }), () => undefined); });
  subscribe('firewall:rolledBack', () => {
    set({ pendingChange: undefined });
    get().notify({ kind: 'info', text: i18next.t('rolledBack') });
    void get().loadFirewall();
  });
  subscribe('settings:changed', (s) => set({ settings: s }));
  subscribe('ui:navigate', ({ screen, promptId, networkKey }) => get().navigate(screen, {
    ...(promptId !== undefined ? { promptId } : {}), ...(networkKey !== undefined ? { networkKey } : {}),
  }));
}
