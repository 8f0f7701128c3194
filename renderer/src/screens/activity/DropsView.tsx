// "Recent blocked attempts": what the firewall turned away, newest first — time, interface,
// profile, direction, protocol, source, destination and what decided (a rule, or the profile's
// default). Read from the helper's drop log when the tab opens, then live from its
// announcements; the window keeps the newest DROPS_KEPT. Virtualised like the sockets table.
import { memo, useEffect, useMemo, useRef, useState, type CSSProperties } from 'react';
import { useTranslation } from 'react-i18next';
import { useStore, DROPS_KEPT } from '../../store';
import type { DropEntry } from '../../../../shared/runtime/droplog';
import { HEADER_HEIGHT, ROW_HEIGHT, useVirtualRows } from './virtual-rows';
import { DropRowCache, selectDrops, type DropDirection, type DropProtocol, type DropRow } from './drops';

const SEARCH_DELAY_MS = 200;

const COLUMNS = [
  { id: 'time', width: 104 },
  // The interface and the profile it is in, side by side.
  { id: 'interface', width: 136 },
  { id: 'direction', width: 110 },
  { id: 'protocol', width: 76 },
  { id: 'source', width: 150 },
  { id: 'destination', width: 156 },
  { id: 'decided', width: undefined },
] as const;
const DECIDED_MIN_WIDTH = 200;

const CELL: CSSProperties = { padding: '0 10px', height: ROW_HEIGHT, boxSizing: 'border-box', overflow: 'hidden', whiteSpace: 'nowrap', textOverflow: 'ellipsis' };
/** "Decided by" may take two lines (a rule's comment makes it long); the rest is in its tooltip. */
const TWO_LINES: CSSProperties = { display: '-webkit-box', WebkitLineClamp: 2, WebkitBoxOrient: 'vertical', overflow: 'hidden', whiteSpace: 'normal', lineHeight: '19px' };
const STICKY: CSSProperties = { position: 'sticky', top: 0, zIndex: 1, background: 'var(--surface)', height: HEADER_HEIGHT, whiteSpace: 'nowrap', overflow: 'hidden' };
const SPACER_CELL: CSSProperties = { padding: 0, border: 0 };

/** What decided, in words: the rule (with its comment) or app by name, or the profile's default. */
function useDecidedWords(): (entry: DropEntry) => string {
  const { t } = useTranslation('activity');
  const rules = useStore((s) => s.policy?.portRules);
  const apps = useStore((s) => s.policy?.apps);
  // Apps by the name their rule has (the Apps screen shows the same unless a .desktop file names them).
  return useMemo(() => {
    const ruleNames = new Map((rules ?? []).map((r) => [r.id, r.comment ? `${r.id} (${r.comment})` : r.id]));
    const appNames = new Map((apps ?? []).map((a) => [a.id, a.name ?? a.id]));
    const name = (id: string | undefined) => (id === undefined ? '?' : ruleNames.get(id) ?? appNames.get(id) ?? id);
    return (e: DropEntry) => {
      switch (e.kind) {
        case 'default': return t('drops.kind.default');
        case 'block': return t('drops.kind.block', { rule: name(e.ruleId) });
        case 'blocked-app': return e.ruleId ? t('drops.kind.blockedAppNamed', { app: name(e.ruleId) }) : t('drops.kind.blockedApp');
        case 'limit': return t('drops.kind.limit', { rule: name(e.ruleId) });
        case 'scan': return t('drops.kind.scan');
        case 'shields-up': return t('drops.kind.shieldsUp');
        case 'spoof': return t('drops.kind.spoof');
        case 'out-default': return t('drops.kind.outDefault');
        case 'out-block': return t('drops.kind.outBlock', { rule: name(e.ruleId) });
      }
    };
  }, [t, rules, apps]);
}

const DropRowView = memo(function DropRowView({ row, index, labels }: { row: DropRow; index: number; labels: { profile: (p: DropEntry['profile']) => string; direction: (d: DropEntry['direction']) => string } }) {
  const e = row.entry;
  return (
    <tr data-testid="drop-row" data-kind={e.kind} data-direction={e.direction} data-source={e.source} data-destination={e.destination}
      data-port={e.destinationPort ?? ''} data-protocol={e.protocol} data-rule={e.ruleId ?? ''} aria-rowindex={index + 2}>
      <td style={CELL} title={row.when}>{row.time}</td>
      <td style={CELL}><span className="mono">{e.interface}</span> <span className={`chip ${e.profile}`}>{labels.profile(e.profile)}</span></td>
      <td style={CELL}><span aria-hidden="true">{e.direction === 'in' ? '↓ ' : '↑ '}</span>{labels.direction(e.direction)}</td>
      <td style={CELL}>{row.protocol}</td>
      <td style={CELL} className="mono" title={row.source}>{row.source}</td>
      <td style={CELL} className="mono" title={row.destination}>{row.destination}</td>
      <td style={CELL} title={row.decided}><div style={TWO_LINES}>{row.decided}</div></td>
    </tr>
  );
});

export function DropsView() {
  const { t, i18n } = useTranslation(['activity', 'common']);
  const drops = useStore((s) => s.drops);
  const state = useStore((s) => s.dropsState);
  const loadDrops = useStore((s) => s.loadDrops);
  const connected = useStore((s) => s.helper?.connection === 'connected');
  const decided = useDecidedWords();

  // Read the log afresh when the tab opens and when the helper comes back.
  useEffect(() => {
    if (connected) void loadDrops();
  }, [connected, loadDrops]);

  const [search, setSearch] = useState('');
  const [query, setQuery] = useState('');
  const [direction, setDirection] = useState<DropDirection>('all');
  const [protocol, setProtocol] = useState<DropProtocol>('all');
  useEffect(() => {
    const timer = setTimeout(() => setQuery(search), SEARCH_DELAY_MS);
    return () => clearTimeout(timer);
  }, [search]);

  const labels = useMemo(() => ({
    profile: (p: DropEntry['profile']) => t(`common:profile.${p}Short`),
    direction: (d: DropEntry['direction']) => t(`drops.direction.${d}`),
  }), [t]);
  const cache = useMemo(() => new DropRowCache({ language: i18n.language, decided }), [i18n.language, decided]);
  const rows = useMemo(() => cache.derive(drops), [cache, drops]);
  const shown = useMemo(() => selectDrops(rows, direction, protocol, query), [rows, direction, protocol, query]);

  const scrollRef = useRef<HTMLDivElement>(null);
  const { items, paddingTop, paddingBottom } = useVirtualRows(shown, scrollRef);
  useEffect(() => {
    scrollRef.current?.scrollTo({ top: 0 });
  }, [direction, protocol, query]);

  const tableMinWidth = COLUMNS.reduce((sum, c) => sum + (c.width ?? DECIDED_MIN_WIDTH), 0);

  const empty = state.state === 'failed' && drops.length === 0 ? t('drops.failed', { message: state.message })
    : !connected && drops.length === 0 ? t('drops.unavailable')
      : (state.state === 'loading' || state.state === 'idle') && drops.length === 0 ? t('common:loading')
        : rows.length === 0 ? t('drops.empty')
          : shown.length === 0 ? t('drops.noMatch') : undefined;

  return (
    <>
      <div className="row" style={{ flexWrap: 'wrap', alignItems: 'flex-end', marginBottom: 12 }}>
        <label className="field">
          <span>{t('search')}</span>
          <input type="search" value={search} data-testid="drops-search" placeholder={t('drops.searchPlaceholder')} style={{ width: 300 }}
            onChange={(ev) => setSearch(ev.currentTarget.value)} />
        </label>
        <label className="field">
          <span>{t('drops.filter.label')}</span>
          <select value={direction} data-testid="drops-direction" onChange={(ev) => setDirection(ev.currentTarget.value as DropDirection)}>
            <option value="all">{t('drops.filter.all')}</option>
            <option value="in">{t('drops.direction.in')}</option>
            <option value="out">{t('drops.direction.out')}</option>
          </select>
        </label>
        <label className="field">
          <span>{t('protocol.label')}</span>
          <select value={protocol} data-testid="drops-protocol" onChange={(ev) => setProtocol(ev.currentTarget.value as DropProtocol)}>
            <option value="all">{t('drops.protocolAll')}</option>
            <option value="tcp">TCP</option>
            <option value="udp">UDP</option>
            <option value="icmp">ICMP</option>
          </select>
        </label>
        <p className="muted" style={{ marginLeft: 'auto', marginBottom: 6 }} data-testid="drops-count" data-shown={shown.length} data-total={rows.length}>
          {t('count', { shown: shown.length.toLocaleString(i18n.language), total: rows.length.toLocaleString(i18n.language) })}
          {connected && state.state === 'loaded' && <> · <span className="status ok" style={{ fontWeight: 'normal' }}><span className="dot" />{t('drops.live')}</span></>}
        </p>
        <button type="button" className="btn" style={{ marginBottom: 4 }} data-testid="drops-refresh" disabled={!connected || state.state === 'loading'} onClick={() => void loadDrops()}>
          {t('common:action.refresh')}
        </button>
      </div>

      {state.state === 'failed' && drops.length > 0 && (
        <div className="banner warn" role="status" data-testid="drops-failed"><div className="grow">{t('drops.failed', { message: state.message })}</div></div>
      )}

      <div className="card" style={{ padding: 0, overflow: 'hidden' }}>
        <div ref={scrollRef} tabIndex={0} role="region" aria-label={t('drops.tableLabel')}
          style={{ height: 'max(320px, calc(100vh - 380px))', overflow: 'auto', overflowAnchor: 'none' }}>
          <table data-testid="drops-table" aria-rowcount={shown.length + 1} style={{ tableLayout: 'fixed', minWidth: tableMinWidth }}>
            <colgroup>{COLUMNS.map((c) => <col key={c.id} style={c.width ? { width: c.width } : undefined} />)}</colgroup>
            <thead>
              <tr aria-rowindex={1}>
                {COLUMNS.map(({ id }) => <th key={id} scope="col" style={STICKY}>{t(`drops.columns.${id}`)}</th>)}
              </tr>
            </thead>
            <tbody>
              {paddingTop > 0 && <tr aria-hidden="true" style={{ height: paddingTop }}><td colSpan={COLUMNS.length} style={SPACER_CELL} /></tr>}
              {items.map((item) => {
                const row = shown[item.index];
                return row ? <DropRowView key={item.key} row={row} index={item.index} labels={labels} /> : null;
              })}
              {paddingBottom > 0 && <tr aria-hidden="true" style={{ height: paddingBottom }}><td colSpan={COLUMNS.length} style={SPACER_CELL} /></tr>}
            </tbody>
          </table>
          {empty && <p className="muted" style={{ padding: '12px 16px' }} data-testid="drops-empty">{empty}</p>}
        </div>
      </div>
      <p className="muted" style={{ marginTop: 10 }}>{t('drops.footnote', { max: DROPS_KEPT.toLocaleString(i18n.language) })}</p>
    </>
  );
}
