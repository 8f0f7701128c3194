// Activity, in two tabs. Connections and listeners: every socket on the machine, live —
// protocol, state, addresses, process, user, app — and for each listening socket the rule that
// decides the packets other computers send it, on the profile of each interface that would
// deliver them. Recent blocked attempts: the helper's drop log, live (activity/DropsView.tsx).
// Both tables are virtualised: 10,000 rows stay smooth (bench/ui.ts measures it).
import { memo, useCallback, useEffect, useMemo, useRef, useState, type CSSProperties, type KeyboardEvent, type RefObject } from 'react';
import { useTranslation } from 'react-i18next';
import { useStore, type ActivityTab } from '../store';
import type { AppIdentity } from '../../../shared/policy/schema';
import { appKey } from '../../../shared/policy/identity';
import { AppIcon } from '../components/AppIcon';
import { useExposureWords } from './exposure/words';
import { DropsView } from './activity/DropsView';
import { Decisions, RowCache, selectRows, type Decide, type Decision, type Kind, type Protocol, type Sort, type SortColumn, type SocketRow } from './activity/rows';
import { HEADER_HEIGHT, useVirtualRows } from './activity/virtual-rows';
import './activity/sockets-table.css';

const REFRESH_MS = 2000;
const SEARCH_DELAY_MS = 200;
/** Scrolling counts as over this long after the last scroll event. */
const SCROLL_SETTLE_MS = 400;

const COLUMNS: { id: SortColumn | 'decided'; width: number | undefined }[] = [
  { id: 'protocol', width: 84 },
  { id: 'state', width: 100 },
  { id: 'local', width: 160 },
  { id: 'remote', width: 160 },
  { id: 'process', width: 140 },
  { id: 'user', width: 76 },
  { id: 'app', width: 136 },
  { id: 'decided', width: undefined },
];
/** "Decided by" gets at least this much; below it the table scrolls sideways. */
const DECIDED_MIN_WIDTH = 230;

// Rows are styled by classes (activity/sockets-table.css: cells ROW_HEIGHT tall, lines that
// never wrap); the header and spacers, rendered far less often, keep their styles here.

/** The header stays in view as one sticky box: one layer for the compositor to move, not one per column. */
const STICKY_HEAD: CSSProperties = { position: 'sticky', top: 0, zIndex: 1 };
const HEAD_CELL: CSSProperties = { background: 'var(--surface)', height: HEADER_HEIGHT, whiteSpace: 'nowrap', overflow: 'hidden' };
const SORT_BUTTON: CSSProperties = { color: 'inherit', fontWeight: 'inherit', fontSize: 'inherit' };
const SPACER_CELL: CSSProperties = { padding: 0, border: 0 };
const SCROLLER: CSSProperties = { height: 'max(320px, calc(100vh - 380px))', overflow: 'auto', overflowAnchor: 'none' };

interface DecisionText { lines: string[]; detail: string; quiet: boolean }

/**
 * The decision in words: a line per verdict, and a longer text naming the interfaces. Rows with
 * the same shape share one Decision object, so each is put in words once, not once per row shown.
 */
function useDecisionWords(): (d: Decision) => DecisionText {
  const { t } = useTranslation(['activity', 'common']);
  const { reason } = useExposureWords();
  return useMemo(() => {
    const said = new WeakMap<Decision, DecisionText>();
    const say = (d: Decision): DecisionText => {
      switch (d.kind) {
        case 'connection': return { lines: [t('decision.connection')], detail: t('decision.connectionDetail'), quiet: true };
        case 'loopback': return { lines: [t('decision.loopback')], detail: t('decision.loopbackDetail'), quiet: true };
        case 'unreachable': return { lines: [t('decision.unreachable')], detail: t('decision.unreachableDetail'), quiet: true };
        case 'pending': return { lines: [t('common:loading')], detail: t('common:loading'), quiet: true };
        case 'firewall': {
          const parts = d.verdicts.map((v) => ({ text: reason(v.reason, v.profile, v.state), interfaces: v.interfaces.join(', ') }));
          const lines = parts.length <= 2 ? parts.map((p) => p.text) : [parts[0]?.text ?? '', t('decision.more', { decision: parts[1]?.text ?? '', count: parts.length - 2 })];
          return { lines, detail: parts.map((p) => t('decision.onInterfaces', { decision: p.text, interfaces: p.interfaces })).join('\n'), quiet: false };
        }
      }
    };
    return (d) => {
      let text = said.get(d);
      if (!text) {
        text = say(d);
        said.set(d, text);
      }
      return text;
    };
  }, [t, reason]);
}

type DecisionWords = ReturnType<typeof useDecisionWords>;
type RowLabels = ReturnType<typeof useRowLabels>;

/** Words every row uses, translated once per language (and state, and process) rather than once per row. */
function useRowLabels() {
  const { t } = useTranslation(['activity', 'common']);
  return useMemo(() => {
    const states = new Map<string, string>();
    const pids = new Map<number, string>();
    return {
      state: (state: SocketRow['entry']['state']) => remember(states, state, () => t(`state.${state}`)),
      pid: (pid: number) => remember(pids, pid, () => t('pid', { pid })),
      noRemote: t('noRemote'),
      noProcess: t('noProcess'),
    };
  }, [t]);
}

function remember<K, V>(map: Map<K, V>, key: K, make: () => V): V {
  let value = map.get(key);
  if (value === undefined) {
    value = make();
    map.set(key, value);
  }
  return value;
}

/** A row re-renders only when what it shows changes: its socket, its place, or the firewall's verdict on it. */
const SocketRowView = memo(function SocketRowView({ row, index, verdict, words, labels, showRemote }: {
  row: SocketRow; index: number; verdict: Decision; words: DecisionWords; labels: RowLabels; showRemote: boolean;
}) {
  const decision = words(verdict);
  const e = row.entry;
  return (
    <tr data-testid="socket-row" data-port={e.port} data-protocol={e.protocol} data-state={e.state} data-listening={row.listening}
      data-decision={verdict.kind === 'firewall' ? verdict.verdicts.map((v) => v.reason.kind).join(' ') : verdict.kind}
      aria-rowindex={index + 2}>
      <td className="sockets-cell">
        <div className="sockets-line">{e.protocol.toUpperCase()}</div>
        <div className="sockets-line sub muted">{e.family === 6 ? 'IPv6' : 'IPv4'}</div>
      </td>
      <td className="sockets-cell" title={e.state}><div className="sockets-line">{labels.state(e.state)}</div></td>
      <td className="sockets-cell" title={row.local}><div className="sockets-line mono">{row.local}</div></td>
      {showRemote && (
        <td className="sockets-cell" title={row.remote || undefined}>
          <div className="sockets-line mono">{row.remote || <span className="muted" aria-label={labels.noRemote}>—</span>}</div>
        </td>
      )}
      <td className="sockets-cell" title={row.cmdline || undefined}>
        <div className="sockets-line">{row.processName || <span className="muted">{labels.noProcess}</span>}</div>
        {row.pid !== undefined && <div className="sockets-line sub muted">{labels.pid(row.pid)}</div>}
      </td>
      <td className="sockets-cell"><div className="sockets-line">{row.user}</div></td>
      <td className="sockets-cell" title={row.appIdentity}>
        {row.appName
          ? <div className="row sockets-app"><AppIcon src={row.appIcon} name={row.appName} /><span className="sockets-line">{row.appName}</span></div>
          : <span className="muted">—</span>}
      </td>
      <td className={decision.quiet ? 'sockets-cell muted' : 'sockets-cell'} title={decision.detail}>
        {decision.lines.map((line, i) => <div key={i} className={decision.lines.length > 1 ? 'sockets-line verdict' : 'sockets-line'}>{line}</div>)}
      </td>
    </tr>
  );
});

/**
 * Loads the sockets now and every two seconds while the screen is open and the window visible.
 * A snapshot arriving mid-scroll would cost a frame or two, so while `busy()` says the user is
 * scrolling the load waits until the scrolling stops.
 */
function useSocketPolling(busy: () => boolean): { live: boolean; resume: () => void } {
  const loadSockets = useStore((s) => s.loadSockets);
  const connected = useStore((s) => s.helper?.connection === 'connected');
  const [live, setLive] = useState(true);
  useEffect(() => {
    if (!live || !connected) return;
    let disposed = false;
    let inflight = false;
    let retry: ReturnType<typeof setTimeout> | undefined;
    const tick = () => {
      if (inflight || document.visibilityState === 'hidden') return;
      if (busy()) {
        retry ??= setTimeout(() => { retry = undefined; tick(); }, SCROLL_SETTLE_MS);
        return;
      }
      inflight = true;
      const before = useStore.getState().socketsLoadedAt;
      void loadSockets().then(() => {
        inflight = false;
        // The store reported the failure once; stop asking until the user says so.
        if (!disposed && useStore.getState().socketsLoadedAt === before) setLive(false);
      });
    };
    tick();
    const timer = setInterval(tick, REFRESH_MS);
    const onVisibility = () => { if (document.visibilityState === 'visible') tick(); };
    document.addEventListener('visibilitychange', onVisibility);
    return () => {
      disposed = true;
      clearInterval(timer);
      clearTimeout(retry);
      document.removeEventListener('visibilitychange', onVisibility);
    };
  }, [live, connected, loadSockets, busy]);
  const resume = useCallback(() => {
    if (live) void loadSockets();
    else setLive(true);
  }, [live, loadSockets]);
  return { live, resume };
}

/** Names and icons for the apps that own sockets, asked for once each. */
function useAppDescriptions(sockets: readonly { app?: AppIdentity | undefined }[]): void {
  const describeApps = useStore((s) => s.describeApps);
  const asked = useRef(new Set<string>());
  // The identity objects of the last look: a live change keeps nearly all of them, and those need no key.
  const seen = useRef(new Set<AppIdentity>());
  useEffect(() => {
    const wanted = new Map<string, AppIdentity>();
    const now = new Set<AppIdentity>();
    for (const s of sockets) {
      if (!s.app) continue;
      now.add(s.app);
      if (seen.current.has(s.app)) continue;
      const key = appKey(s.app);
      if (!asked.current.has(key)) wanted.set(key, s.app);
    }
    seen.current = now;
    if (!wanted.size) return;
    for (const key of wanted.keys()) asked.current.add(key);
    void describeApps([...wanted.values()]);
  }, [sockets, describeApps]);
}

type Column = (typeof COLUMNS)[number];

/** The header row: re-rendered when the order or the columns change, not as the table scrolls. */
const SocketTableHead = memo(function SocketTableHead({ columns, sort, onSort }: { columns: readonly Column[]; sort: Sort; onSort: (column: SortColumn) => void }) {
  const { t } = useTranslation('activity');
  return (
    <thead style={STICKY_HEAD}>
      <tr aria-rowindex={1}>
        {columns.map(({ id }) => (id === 'decided'
          ? <th key={id} scope="col" style={HEAD_CELL}>{t(`columns.${id}`)}</th>
          : (
            <th key={id} scope="col" style={HEAD_CELL} aria-sort={sort.column === id ? (sort.descending ? 'descending' : 'ascending') : undefined}>
              <button type="button" className="btn link" style={SORT_BUTTON} data-testid={`sort-${id}`} onClick={() => onSort(id)}>
                {t(`columns.${id}`)}
                <span aria-hidden="true">{sort.column === id ? (sort.descending ? ' ▼' : ' ▲') : ''}</span>
              </button>
            </th>
          )))}
      </tr>
    </thead>
  );
});

interface SocketTableProps {
  shown: readonly SocketRow[];
  columns: readonly Column[];
  showRemote: boolean;
  sort: Sort;
  onSort: (column: SortColumn) => void;
  decide: Decide;
  words: DecisionWords;
  labels: RowLabels;
  scrollRef: RefObject<HTMLDivElement | null>;
  onScroll: () => void;
  /** Said in the table's place when it has no rows. */
  empty: string | undefined;
}

/**
 * The virtual table. Scrolling re-renders this component alone (the virtualiser's state lives
 * here), so a frame of scrolling costs the rows that come into view and nothing above the table.
 */
function SocketTable({ shown, columns, showRemote, sort, onSort, decide, words, labels, scrollRef, onScroll, empty }: SocketTableProps) {
  const { t } = useTranslation('activity');
  const { items, paddingTop, paddingBottom } = useVirtualRows(shown, scrollRef);
  const tableMinWidth = columns.reduce((sum, c) => sum + (c.width ?? DECIDED_MIN_WIDTH), 0);

  return (
    <div ref={scrollRef} tabIndex={0} role="region" aria-label={t('tableLabel')} onScroll={onScroll} style={SCROLLER}>
      <table data-testid="activity-table" aria-rowcount={shown.length + 1} style={{ tableLayout: 'fixed', minWidth: tableMinWidth }}>
        <colgroup>{columns.map((c) => <col key={c.id} style={c.width ? { width: c.width } : undefined} />)}</colgroup>
        <SocketTableHead columns={columns} sort={sort} onSort={onSort} />
        <tbody>
          {paddingTop > 0 && <tr aria-hidden="true" style={{ height: paddingTop }}><td colSpan={columns.length} style={SPACER_CELL} /></tr>}
          {items.map((item) => {
            const row = shown[item.index];
            return row ? <SocketRowView key={item.key} row={row} index={item.index} verdict={decide(row.entry)} words={words} labels={labels} showRemote={showRemote} /> : null;
          })}
          {paddingBottom > 0 && <tr aria-hidden="true" style={{ height: paddingBottom }}><td colSpan={columns.length} style={SPACER_CELL} /></tr>}
        </tbody>
      </table>
      {empty && <p className="muted" style={{ padding: '12px 16px' }} data-testid="activity-empty">{empty}</p>}
    </div>
  );
}

function SocketsView() {
  const { t, i18n } = useTranslation(['activity', 'common']);
  const sockets = useStore((s) => s.sockets);
  const loadedAt = useStore((s) => s.socketsLoadedAt);
  const policy = useStore((s) => s.policy);
  const interfaces = useStore((s) => s.status?.interfaces);
  const apps = useStore((s) => s.apps);
  const connected = useStore((s) => s.helper?.connection === 'connected');
  const lastScroll = useRef(0);
  const scrolling = useCallback(() => performance.now() - lastScroll.current < SCROLL_SETTLE_MS, []);
  const onScroll = useCallback(() => { lastScroll.current = performance.now(); }, []);
  const { live, resume } = useSocketPolling(scrolling);
  useAppDescriptions(sockets);
  const words = useDecisionWords();
  const labels = useRowLabels();

  const [search, setSearch] = useState('');
  const [query, setQuery] = useState('');
  const [kind, setKind] = useState<Kind>('all');
  const [protocol, setProtocol] = useState<Protocol>('all');
  const [sort, setSort] = useState<Sort>({ column: 'state', descending: false });

  useEffect(() => {
    const timer = setTimeout(() => setQuery(search), SEARCH_DELAY_MS);
    return () => clearTimeout(timer);
  }, [search]);

  // Both caches only ever memoise: the same snapshot gives the same rows and verdicts.
  const rowCache = useMemo(() => new RowCache(apps), [apps]);
  const decisions = useMemo(() => new Decisions(), []);
  const rows = useMemo(() => rowCache.derive(sockets), [rowCache, sockets]);
  const decide = useMemo(() => decisions.decider(sockets, policy, interfaces), [decisions, sockets, policy, interfaces]);
  const shown = useMemo(() => selectRows(rows, kind, protocol, query, sort), [rows, kind, protocol, query, sort]);

  // A new filter, search or order starts at the top.
  const scrollRef = useRef<HTMLDivElement>(null);
  useEffect(() => {
    scrollRef.current?.scrollTo({ top: 0 });
  }, [kind, protocol, query, sort]);

  // Listening sockets have no remote end: that column would only hold dashes.
  const showRemote = kind !== 'listening';
  const columns = useMemo(() => (showRemote ? COLUMNS : COLUMNS.filter((c) => c.id !== 'remote')), [showRemote]);

  const toggleSort = useCallback((column: SortColumn) => setSort((s) => ({ column, descending: s.column === column ? !s.descending : false })), []);

  const empty = !connected && sockets.length === 0 ? t('unavailable')
    : loadedAt === undefined && sockets.length === 0 ? t('common:loading')
      : rows.length === 0 ? t('empty')
        : shown.length === 0 ? t('noMatch') : undefined;

  return (
    <>
      <div className="row" style={{ flexWrap: 'wrap', alignItems: 'flex-end', marginBottom: 12 }}>
        <label className="field">
          <span>{t('search')}</span>
          <input type="search" value={search} data-testid="activity-search" placeholder={t('searchPlaceholder')} style={{ width: 300 }}
            onChange={(ev) => setSearch(ev.currentTarget.value)} />
        </label>
        <label className="field">
          <span>{t('filter.label')}</span>
          <select value={kind} data-testid="activity-filter" onChange={(ev) => setKind(ev.currentTarget.value as Kind)}>
            <option value="all">{t('filter.all')}</option>
            <option value="listening">{t('filter.listening')}</option>
            <option value="connections">{t('filter.connections')}</option>
          </select>
        </label>
        <label className="field">
          <span>{t('protocol.label')}</span>
          <select value={protocol} data-testid="activity-protocol" onChange={(ev) => setProtocol(ev.currentTarget.value as Protocol)}>
            <option value="all">{t('protocol.all')}</option>
            <option value="tcp">TCP</option>
            <option value="udp">UDP</option>
          </select>
        </label>
        <p className="muted" style={{ marginLeft: 'auto', marginBottom: 6 }} data-testid="activity-count" data-shown={shown.length} data-total={rows.length}>
          {t('count', { shown: shown.length.toLocaleString(i18n.language), total: rows.length.toLocaleString(i18n.language) })}
          {loadedAt !== undefined && <> · {t('updated', { time: new Date(loadedAt).toLocaleTimeString(i18n.language) })}</>}
        </p>
        <button type="button" className="btn" style={{ marginBottom: 4 }} data-testid="activity-refresh" disabled={!connected} onClick={resume}>{t('common:action.refresh')}</button>
      </div>

      {!live && (
        <div className="banner warn" role="status" data-testid="activity-paused">
          <div className="grow">{t('paused')}</div>
          <button type="button" className="btn" onClick={resume}>{t('resume')}</button>
        </div>
      )}

      <div className="card" style={{ padding: 0, overflow: 'hidden' }}>
        <SocketTable shown={shown} columns={columns} showRemote={showRemote} sort={sort} onSort={toggleSort} decide={decide} words={words} labels={labels}
          scrollRef={scrollRef} onScroll={onScroll} empty={empty} />
      </div>
      <p className="muted" style={{ marginTop: 10 }}>{t('footnote')}</p>
    </>
  );
}

const TABS: readonly ActivityTab[] = ['sockets', 'drops'];

export function Activity() {
  const { t } = useTranslation(['activity', 'common']);
  const tab = useStore((s) => s.activityTab);
  const setTab = useStore((s) => s.setActivityTab);
  const tabs = useRef<HTMLDivElement>(null);
  // Tabs as the ARIA pattern has them: one stop for Tab, arrows (and Home, End) move and choose.
  const onKeyDown = (e: KeyboardEvent) => {
    const i = TABS.indexOf(tab);
    const next = e.key === 'ArrowRight' ? TABS[(i + 1) % TABS.length] : e.key === 'ArrowLeft' ? TABS[(i + TABS.length - 1) % TABS.length]
      : e.key === 'Home' ? TABS[0] : e.key === 'End' ? TABS[TABS.length - 1] : undefined;
    if (!next) return;
    e.preventDefault();
    setTab(next);
    tabs.current?.querySelector<HTMLElement>(`[data-tab="${next}"]`)?.focus();
  };
  return (
    <div className="screen" data-testid="screen-activity" style={{ maxWidth: 'none' }}>
      <div className="screen-head">
        <div><h1>{t('title')}</h1><p className="muted">{tab === 'sockets' ? t('subtitle') : t('drops.subtitle')}</p></div>
      </div>
      <div className="tabs" role="tablist" aria-label={t('tabsLabel')} ref={tabs} onKeyDown={onKeyDown}>
        {TABS.map((id) => (
          <button key={id} type="button" role="tab" id={`activity-tab-${id}`} data-tab={id} aria-selected={tab === id} aria-controls="activity-panel"
            tabIndex={tab === id ? 0 : -1} data-testid={`activity-tab-${id}`} onClick={() => setTab(id)}>
            {t(`tabs.${id}`)}
          </button>
        ))}
      </div>
      <div role="tabpanel" id="activity-panel" aria-labelledby={`activity-tab-${tab}`} data-testid={`activity-panel-${tab}`}>
        {tab === 'sockets' ? <SocketsView /> : <DropsView />}
      </div>
    </div>
  );
}
