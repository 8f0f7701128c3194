// Networks: every network the machine has joined with its profile (Private or Public, or "not
// chosen yet"), where it is connected now, and "Forget"; then the network interfaces with the
// profile in force on each and the choice to pin one to a profile whatever network it joins.
import { useEffect, useMemo, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useStore } from '../store';
import type { ProfileName } from '../../../shared/policy/schema';
import { PROFILE_NAMES } from '../../../shared/policy/schema';
import { Dialog } from '../components/Dialog';
import { networkRows, type NetworkRow } from './networks/describe';

function useFormatTime(): (iso: string | undefined) => string {
  const { t, i18n } = useTranslation('networks');
  return (iso) => (iso ? new Date(iso).toLocaleString(i18n.language, { dateStyle: 'medium', timeStyle: 'short' }) : t('known.unknownTime'));
}

function NetworkKind({ row }: { row: NetworkRow }) {
  const { t } = useTranslation('networks');
  const id = row.identity;
  if (id.kind === 'gateway') return <span className="muted">{t('kind.gateway', { address: id.address, mac: id.mac })}</span>;
  if (id.ssid !== undefined) {
    return <span className="muted">{t('kind.wifi', { ssid: id.ssid })}{id.bssid && <> · {t('kind.bssid', { bssid: id.bssid })}</>}</span>;
  }
  return <span className="muted">{t('kind.connection')} <span className="mono">{id.uuid}</span></span>;
}

function NetworkRowView({ row, onForget }: { row: NetworkRow; onForget: () => void }) {
  const { t } = useTranslation(['networks', 'common']);
  const change = useStore((s) => s.change);
  const time = useFormatTime();
  const [sent, setSent] = useState<ProfileName | undefined>(undefined);
  const chosen: ProfileName | undefined = sent ?? (row.undecided ? undefined : row.profile);
  const nameId = `network-name-${row.key}`;

  const choose = (profile: ProfileName) => {
    setSent(profile);
    void change([{ op: 'setNetworkProfile', network: row.key, profile }]).finally(() => setSent(undefined));
  };

  return (
    <tr data-testid={`network-row-${row.key}`} data-network-key={row.key}>
      <td>
        <strong id={nameId}>{row.name}</strong>
        <br /><NetworkKind row={row} />
      </td>
      <td>
        <div role="radiogroup" aria-label={t('known.profileOf', { name: row.name })} className="row" style={{ whiteSpace: 'nowrap' }}>
          {PROFILE_NAMES.map((p) => (
            <label key={p} className="row" style={{ gap: 6 }}>
              <input type="radio" name={`network-profile-${row.key}`} value={p} checked={chosen === p} disabled={sent !== undefined}
                data-testid={`network-${row.key}-${p}`} onChange={() => choose(p)} />
              <span>{t(`common:profile.${p}Short`)}</span>
            </label>
          ))}
        </div>
        {row.undecided && sent === undefined && (
          <small style={{ display: 'block' }} data-testid={`network-${row.key}-undecided`}>
            <strong className="status warn">{row.known ? t('known.undecided') : t('known.notRemembered')}</strong> <span className="muted">{t('known.undecidedHint')}</span>
          </small>
        )}
      </td>
      <td>
        {row.known
          ? (
            <small style={{ whiteSpace: 'nowrap' }}>
              <span style={{ display: 'block' }}>{t('known.lastSeen', { time: time(row.lastSeen) })}</span>
              <span className="muted">{t('known.firstSeen', { time: time(row.firstSeen) })}</span>
            </small>
          )
          : <span className="muted">—</span>}
      </td>
      <td>
        {row.interfaces.length
          ? <span className="status ok" style={{ whiteSpace: 'nowrap' }}><span className="dot" />{t('known.connectedVia', { iface: row.interfaces.join(', ') })}</span>
          : <span className="muted">{t('known.notConnected')}</span>}
      </td>
      <td>
        {row.known && (
          <button type="button" className="btn link" style={{ whiteSpace: 'nowrap' }} aria-label={t('known.forgetLabel', { name: row.name })} data-testid={`network-${row.key}-forget`} onClick={onForget}>
            {t('known.forget')}
          </button>
        )}
      </td>
    </tr>
  );
}

function ForgetDialog({ row, onClose }: { row: NetworkRow | undefined; onClose: () => void }) {
  const { t } = useTranslation(['networks', 'common']);
  const change = useStore((s) => s.change);
  const forget = () => {
    if (!row) return;
    onClose();
    void change([{ op: 'forgetNetwork', network: row.key }]);
  };
  return (
    <Dialog open={row !== undefined} onClose={onClose} labelledBy="network-forget-title" testId="network-forget-dialog">
      {row && (
        <>
          <div className="dialog-head"><h2 id="network-forget-title">{t('forget.title', { name: row.name })}</h2></div>
          <div className="dialog-body">
            <p>{t('forget.body')}</p>
            {row.interfaces.length > 0 && <p className="status warn">{t('forget.connectedNow')}</p>}
          </div>
          <div className="dialog-foot">
            <button type="button" className="btn primary" data-testid="network-forget-confirm" onClick={forget}>{t('known.forget')}</button>
            <button type="button" className="btn" onClick={onClose}>{t('common:action.cancel')}</button>
          </div>
        </>
      )}
    </Dialog>
  );
}

function KnownNetworks() {
  const { t, i18n } = useTranslation(['networks', 'common']);
  const networks = useStore((s) => s.networks);
  const focusKey = useStore((s) => s.focus?.networkKey);
  const table = useRef<HTMLTableElement>(null);
  const [forgetting, setForgetting] = useState<string | undefined>(undefined);
  const rows = useMemo(() => (networks ? networkRows(networks, i18n.language) : undefined), [networks, i18n.language]);
  const toForget = rows?.find((r) => r.key === forgetting && r.known);

  // Opened for one network (a notification, the tray): take the keyboard to its profile choice.
  const found = rows?.some((r) => r.key === focusKey) ?? false;
  useEffect(() => {
    if (!focusKey || !found) return;
    const row = table.current?.querySelector<HTMLElement>(`[data-network-key="${CSS.escape(focusKey)}"]`);
    row?.scrollIntoView({ block: 'nearest' });
    row?.querySelector<HTMLInputElement>('input:checked, input')?.focus();
  }, [focusKey, found]);

  return (
    <section className="card" aria-labelledby="known-networks-title" data-testid="known-networks" style={{ marginBottom: 16 }}>
      <h2 id="known-networks-title">{t('known.title')}</h2>
      {!rows ? <p className="muted">{t('common:loading')}</p>
        : rows.length === 0 ? <p className="muted" data-testid="networks-empty">{t('known.empty')}</p> : (
          <table ref={table} aria-labelledby="known-networks-title">
            <thead>
              <tr>
                <th scope="col">{t('known.column.name')}</th>
                <th scope="col">{t('known.column.profile')}</th>
                <th scope="col">{t('known.column.seen')}</th>
                <th scope="col">{t('known.column.connection')}</th>
                <th scope="col"><span className="sr-only">{t('known.column.actions')}</span></th>
              </tr>
            </thead>
            <tbody>
              {rows.map((row) => <NetworkRowView key={row.key} row={row} onForget={() => setForgetting(row.key)} />)}
            </tbody>
          </table>
        )}
      <ForgetDialog row={toForget} onClose={() => setForgetting(undefined)} />
    </section>
  );
}

type Pin = 'network' | ProfileName;

interface InterfaceRow {
  name: string;
  present: boolean;
  profile: ProfileName | undefined;
  network: string | undefined;
  addresses: string[];
  pin: Pin;
}

function InterfaceRowView({ row }: { row: InterfaceRow }) {
  const { t } = useTranslation(['networks', 'common']);
  const change = useStore((s) => s.change);
  const [sent, setSent] = useState<Pin | undefined>(undefined);
  const pin = sent ?? row.pin;
  const choose = (value: Pin) => {
    setSent(value);
    void change([{ op: 'pinInterface', interface: row.name, profile: value === 'network' ? null : value }]).finally(() => setSent(undefined));
  };
  return (
    <tr data-testid={`interface-row-${row.name}`}>
      <td className="mono">{row.name}</td>
      <td>{row.present ? (row.network ?? <span className="muted">{t('interfaces.noNetwork')}</span>) : <span className="muted">{t('interfaces.notPresent')}</span>}</td>
      <td className={row.addresses.length ? 'mono' : 'muted'}>
        {row.addresses.length ? row.addresses.map((a) => <span key={a} style={{ display: 'block' }}>{a}</span>) : t('interfaces.noAddresses')}
      </td>
      <td>
        {row.profile ? <span className={`chip ${row.profile}`}>{t(`common:profile.${row.profile}Short`)}</span> : <span className="muted">—</span>}
        {row.pin !== 'network' && <> <span className="chip">{t('interfaces.pinned')}</span></>}
      </td>
      <td>
        <select value={pin} disabled={sent !== undefined} aria-label={t('interfaces.pinLabel', { name: row.name })} data-testid={`interface-${row.name}-pin`}
          onChange={(e) => choose(e.currentTarget.value as Pin)}>
          {(['network', ...PROFILE_NAMES] as const).map((p) => <option key={p} value={p}>{t(`interfaces.pin.${p}`)}</option>)}
        </select>
      </td>
    </tr>
  );
}

function Interfaces() {
  const { t } = useTranslation(['networks', 'common']);
  const interfaces = useStore((s) => s.status?.interfaces);
  const pinned = useStore((s) => s.policy?.interfaces);
  const rows = useMemo((): InterfaceRow[] | undefined => {
    if (!interfaces) return undefined;
    const pins = pinned ?? {};
    const present: InterfaceRow[] = interfaces.map((i) => ({
      name: i.name, present: true, profile: i.profile, network: i.network?.name, addresses: i.addresses, pin: pins[i.name] ?? 'network',
    }));
    const absent: InterfaceRow[] = Object.entries(pins).filter(([name]) => !interfaces.some((i) => i.name === name))
      .map(([name, profile]) => ({ name, present: false, profile: undefined, network: undefined, addresses: [], pin: profile }));
    return [...present, ...absent];
  }, [interfaces, pinned]);

  return (
    <section className="card" aria-labelledby="interfaces-title" data-testid="interfaces">
      <h2 id="interfaces-title">{t('interfaces.title')}</h2>
      <p className="muted">{t('interfaces.body')}</p>
      {!rows ? <p className="muted">{t('common:loading')}</p>
        : rows.length === 0 ? <p className="muted">{t('interfaces.empty')}</p> : (
          <table aria-labelledby="interfaces-title">
            <thead>
              <tr>
                <th scope="col">{t('interfaces.column.name')}</th>
                <th scope="col">{t('interfaces.column.network')}</th>
                <th scope="col">{t('interfaces.column.addresses')}</th>
                <th scope="col">{t('interfaces.column.profile')}</th>
                <th scope="col">{t('interfaces.column.pin')}</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((row) => <InterfaceRowView key={row.name} row={row} />)}
            </tbody>
          </table>
        )}
    </section>
  );
}

export function Networks() {
  const { t } = useTranslation(['networks', 'common']);
  const source = useStore((s) => s.status?.networkSource);
  const loaded = useStore((s) => s.networks !== undefined || s.status !== undefined);
  return (
    <div className="screen" data-testid="screen-networks">
      <div className="screen-head">
        <div>
          <h1>{t('title')}</h1>
          <p className="muted">{t('subtitle')}</p>
        </div>
      </div>
      {!loaded ? <p className="muted">{t('common:loading')}</p> : (
        <>
          {source && <p className="muted" data-testid="network-source">{t(`source.${source}`)}</p>}
          <KnownNetworks />
          <Interfaces />
        </>
      )}
    </div>
  );
}
