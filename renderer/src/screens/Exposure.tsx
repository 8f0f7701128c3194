// What others see: for each network interface, what a scanner on another host would find —
// ping, an unlisted port, and every port something listens on or a rule names, with the reason.
// In the lab, "Scan me" runs nmap from outside and lines its result up with the prediction.
import { Fragment, useCallback, useEffect, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useStore } from '../store';
import { call } from '../api/client';
import type { ScanResult } from '../../../shared/ipc/contract';
import type { MethodResult } from '../../../shared/dbus/contract';
import { SCAN_STATES, useExposureWords } from './exposure/words';
import { compareScan, type Verdict } from './exposure/compare';
import { useProtectionWords } from './rules/words';

type InterfaceExposure = MethodResult<'GetExposure'>[number];

const VERDICT_CLASS: Record<Verdict, string> = { match: 'ok', 'app-answered': 'ok', differs: 'bad', 'no-result': 'warn' };

/** A scanner's word for a port, as nmap prints it, and in a few words what it gives away. */
function ScanStateCell({ state }: { state: string }) {
  const { stateShort, stateMeaning } = useExposureWords();
  return (
    <span className="row" style={{ gap: 8 }} title={stateMeaning(state)}>
      <span className="chip mono">{state}</span>
      <span>{stateShort(state)}</span>
    </span>
  );
}

/** The full meaning of each state the card shows, once, instead of in every row. */
function StateLegend({ states }: { states: string[] }) {
  const { t } = useTranslation(['exposure', 'common']);
  const { stateMeaning } = useExposureWords();
  return (
    <details open style={{ marginTop: 12 }}>
      <summary style={{ cursor: 'pointer' }}>{t('legend')}</summary>
      <dl className="facts">
        {states.map((state) => (
          <Fragment key={state}>
            <dt><span className="chip mono">{state}</span></dt>
            <dd>{stateMeaning(state)}</dd>
          </Fragment>
        ))}
      </dl>
    </details>
  );
}

function ScanComparisonView({ exposure, scan, at }: { exposure: InterfaceExposure; scan: ScanResult; at: number }) {
  const { t, i18n } = useTranslation(['exposure', 'common']);
  const result = useMemo(() => compareScan(exposure, scan), [exposure, scan]);
  const verdictText = (v: Verdict) => ({ match: t('scan.match'), 'app-answered': t('scan.appAnswered'), differs: t('scan.differs'), 'no-result': t('scan.noResult') })[v];
  const pingWord = (answered: boolean) => (answered ? t('scan.pingAnswered') : t('scan.pingSilent'));
  return (
    <div data-testid={`scan-result-${exposure.interface}`} data-differences={result.differences} style={{ marginTop: 16 }}>
      <h3>{t('scan.title')}</h3>
      <p className="muted">{t('scan.intro', { address: scan.address, time: new Date(at).toLocaleTimeString(i18n.language) })}</p>
      <p className={`status ${result.differences === 0 ? 'ok' : 'bad'}`} role="status">
        <span className="dot" />{result.differences === 0 ? t('scan.allMatch') : t('scan.someDiffer', { count: result.differences })}
      </p>
      <table>
        <caption className="sr-only">{t('scan.caption', { address: scan.address })}</caption>
        <thead>
          <tr><th scope="col">{t('scan.port')}</th><th scope="col">{t('scan.predicted')}</th><th scope="col">{t('scan.seen')}</th><th scope="col">{t('scan.result')}</th></tr>
        </thead>
        <tbody>
          <tr data-testid="scan-ping" data-match={result.ping.match}>
            <th scope="row">{t('ping')}</th>
            <td>{pingWord(result.ping.predicted)}</td>
            <td>{pingWord(result.ping.seen)}</td>
            <td><span className={`status ${result.ping.match ? 'ok' : 'bad'}`}><span className="dot" />{result.ping.match ? t('scan.match') : t('scan.differs')}</span></td>
          </tr>
          {result.ports.map((p) => (
            <tr key={`${p.protocol}/${p.port}`} data-testid="scan-port" data-port={p.port} data-protocol={p.protocol} data-verdict={p.verdict}>
              <th scope="row" className="mono" style={{ fontWeight: 'normal' }}>
                {p.port}/{p.protocol}{p.unlisted && <small className="muted"> ({t('scan.unlistedPort')})</small>}
              </th>
              <td><span className="chip mono">{p.predicted}</span></td>
              <td><span className="chip mono">{p.seen}</span></td>
              <td><span className={`status ${VERDICT_CLASS[p.verdict]}`}><span className="dot" />{verdictText(p.verdict)}</span></td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function InterfaceCard({ exposure }: { exposure: InterfaceExposure }) {
  const { t } = useTranslation(['exposure', 'common']);
  const { reason } = useExposureWords();
  const protection = useProtectionWords();
  const iface = exposure.interface;
  const info = useStore((s) => s.status?.interfaces.find((i) => i.name === iface));
  const portRules = useStore((s) => s.policy?.portRules);
  const lab = useStore((s) => s.appInfo?.labMode === true);
  const loadExposure = useStore((s) => s.loadExposure);
  const fail = useStore((s) => s.fail);
  const [scan, setScan] = useState<{ result: ScanResult; at: number } | undefined>(undefined);
  const [scanning, setScanning] = useState(false);

  const ruleLabels = useMemo(() => new Map((portRules ?? []).map((r) => [r.id, r.comment ? `${r.id} (${r.comment})` : r.id])), [portRules]);
  const ports = useMemo(() => [...exposure.ports].sort((a, b) => a.port - b.port || a.protocol.localeCompare(b.protocol) || a.address.localeCompare(b.address)), [exposure.ports]);

  const shownStates = useMemo(() => {
    const present = new Set<string>([exposure.unlistedPort.tcp, exposure.unlistedPort.udp, ...exposure.ports.map((p) => p.state)]);
    return SCAN_STATES.filter((state) => present.has(state));
  }, [exposure]);

  const scanMe = async () => {
    setScanning(true);
    try {
      const result = await call('lab:scan', { interface: iface });
      // The scanner asked the helper for its prediction; show the same moment's prediction here.
      await loadExposure();
      setScan({ result, at: Date.now() });
    } catch (err) {
      fail(err);
    } finally {
      setScanning(false);
    }
  };

  const profileName = t(`common:profile.${exposure.profile}`);
  const headingId = `exposure-${iface}-title`;
  return (
    <section className="card" aria-labelledby={headingId} data-testid={`exposure-${iface}`} data-profile={exposure.profile} style={{ marginBottom: 14 }}>
      <div className="row" style={{ flexWrap: 'wrap' }}>
        <h2 id={headingId} className="mono" style={{ margin: 0 }}>{iface}</h2>
        <span className={`chip ${exposure.profile}`}>{profileName}</span>
        {lab && (
          <button type="button" className="btn" style={{ marginLeft: 'auto' }} data-testid={`scan-${iface}`} disabled={scanning} aria-busy={scanning}
            aria-describedby={headingId} onClick={() => void scanMe()}>
            {scanning ? t('scan.scanning') : t('scan.button')}
          </button>
        )}
      </div>
      <dl className="facts">
        <dt>{t('network')}</dt><dd>{info?.network?.name ?? t('unnamedNetwork')}</dd>
        <dt>{t('addresses')}</dt><dd className="mono">{info && info.addresses.length > 0 ? info.addresses.join(', ') : t('noAddress')}</dd>
        <dt>{t('ping')}</dt>
        <dd data-testid={`ping-${iface}`} data-answered={exposure.ping}>{exposure.ping ? t('pingAnswered') : t('pingSilent')}</dd>
        <dt>{t('unlisted')}</dt>
        <dd data-testid={`unlisted-${iface}`}>
          <div className="stack" style={{ gap: 4 }}>
            {(['tcp', 'udp'] as const).map((proto) => (
              <div key={proto} className="row" data-protocol={proto} data-state={exposure.unlistedPort[proto]}>
                <span className="mono" style={{ minWidth: 36 }}>{proto.toUpperCase()}</span>
                <ScanStateCell state={exposure.unlistedPort[proto]} />
              </div>
            ))}
          </div>
          <small className="muted">{t('unlistedHint')}</small>
        </dd>
      </dl>
      <h3 style={{ margin: '12px 0 4px' }}>{t('portsTitle')}</h3>
      {ports.length === 0 ? <p className="muted">{t('noPorts')}</p> : (
        <table>
          <caption className="sr-only">{t('portsCaption', { iface })}</caption>
          <thead>
            <tr>
              <th scope="col">{t('columns.address')}</th>
              <th scope="col">{t('columns.port')}</th>
              <th scope="col">{t('columns.seen')}</th>
              <th scope="col">{t('columns.why')}</th>
            </tr>
          </thead>
          <tbody>
            {ports.map((p) => (
              <tr key={`${p.address}|${p.protocol}|${p.port}`} data-testid="exposure-port" data-address={p.address} data-port={p.port}
                data-protocol={p.protocol} data-state={p.state} data-reason={p.reason.kind} data-after-knock={p.afterKnock ?? ''} data-rate-limited={p.rateLimited ? 'true' : ''}>
                <td className="mono" style={{ whiteSpace: 'nowrap' }}>{p.address}</td>
                <td className="mono" style={{ whiteSpace: 'nowrap' }}>{p.port}/{p.protocol}</td>
                <td>
                  <ScanStateCell state={p.state} />
                  {(p.afterKnock || p.rateLimited) && (
                    <span className="row" style={{ flexWrap: 'wrap', gap: 6, marginTop: 4 }}>
                      {p.afterKnock && <span className="chip accent" title={t('afterKnockHint')} data-testid="exposure-after-knock">{t('afterKnock', { state: p.afterKnock })}</span>}
                      {p.rateLimited && (
                        <span className="chip accent" data-testid="exposure-rate-limited"
                          title={t('rateLimitedDetail', { rates: protection.rates(p.rateLimited), block: protection.time(p.rateLimited.blockSeconds) })}>
                          {t('rateLimited')}
                        </span>
                      )}
                    </span>
                  )}
                  {p.rateLimited && (
                    <small className="muted" style={{ display: 'block' }}>
                      {t('rateLimitedDetail', { rates: protection.rates(p.rateLimited), block: protection.time(p.rateLimited.blockSeconds) })}
                    </small>
                  )}
                </td>
                <td>
                  {reason(p.reason, p.profile, p.state, p.reason.ruleId !== undefined ? ruleLabels.get(p.reason.ruleId) : undefined)}
                  <small className="muted" style={{ display: 'block' }}>{p.listening ? t('listening') : t('notListening')}</small>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <StateLegend states={shownStates} />
      {scan && <ScanComparisonView exposure={exposure} scan={scan.result} at={scan.at} />}
    </section>
  );
}

export function Exposure() {
  const { t } = useTranslation(['exposure', 'common']);
  const exposure = useStore((s) => s.exposure);
  const loadExposure = useStore((s) => s.loadExposure);
  const connected = useStore((s) => s.helper?.connection === 'connected');
  // What others see changes with the policy (revision) and with what listens (live events).
  const revision = useStore((s) => s.status?.revision);
  const sockets = useStore((s) => s.sockets);
  const [refreshing, setRefreshing] = useState(false);

  const refresh = useCallback(async () => {
    setRefreshing(true);
    try {
      await loadExposure();
    } finally {
      setRefreshing(false);
    }
  }, [loadExposure]);

  useEffect(() => {
    if (!connected) return;
    const timer = setTimeout(() => void refresh(), 150);
    return () => clearTimeout(timer);
  }, [connected, revision, sockets, refresh]);

  return (
    <div className="screen" data-testid="screen-exposure">
      <div className="screen-head">
        <div><h1>{t('title')}</h1><p className="muted">{t('subtitle')}</p></div>
        <div className="actions">
          <button type="button" className="btn" data-testid="exposure-refresh" disabled={refreshing} aria-busy={refreshing} onClick={() => void refresh()}>
            {t('common:action.refresh')}
          </button>
        </div>
      </div>
      {exposure === undefined ? <p className="muted" role="status">{connected ? t('common:loading') : t('unavailable')}</p>
        : exposure.length === 0 ? <p className="muted" data-testid="exposure-empty">{t('noInterfaces')}</p>
          : exposure.map((e) => <InterfaceCard key={e.interface} exposure={e} />)}
    </div>
  );
}
