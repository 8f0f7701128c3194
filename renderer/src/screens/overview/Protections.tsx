// A profile's protection settings, reached from its card: port-scan detection (on/off, N closed
// ports within T, then blocked for M), anti-spoofing, and the default for outbound connections
// with the essentials a desktop needs listed one by one (DNS to the resolvers the system uses,
// DHCP, NTP), each of which can be switched off. Saved as one change; the kernel's counters say
// how often each protection acted.
import { useId, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { useStore } from '../../store';
import { useHitCount, useHitCounts } from '../../store/live';
import type { ProfileName, ProfileSettings } from '../../../../shared/policy/schema';
import { Dialog } from '../../components/Dialog';
import { Switch } from '../../components/Switch';
import { DurationInput } from '../../components/DurationInput';
import { BOUNDS, checkDuration, durationDraft, durationProblem, parseWhole, type DurationDraft } from '../rules/durations';
import type { Problem } from '../rules/problems';
import { ProblemList } from '../rules/ProblemList';

type Essential = keyof ProfileSettings['outboundEssentials'];
const ESSENTIALS: readonly Essential[] = ['dns', 'dhcp', 'ntp'];

interface Draft {
  scanEnabled: boolean;
  scanPorts: string;
  scanWithin: DurationDraft;
  scanBlock: DurationDraft;
  antiSpoofing: boolean;
  defaultOutbound: ProfileSettings['defaultOutbound'];
  essentials: ProfileSettings['outboundEssentials'];
}

type Field = 'scanPorts' | 'scanWithin' | 'scanBlock';

function draftOf(s: ProfileSettings): Draft {
  return {
    scanEnabled: s.scanDetection.enabled,
    scanPorts: String(s.scanDetection.ports),
    scanWithin: durationDraft(s.scanDetection.withinSeconds),
    scanBlock: durationDraft(s.scanDetection.blockSeconds),
    antiSpoofing: s.antiSpoofing,
    defaultOutbound: s.defaultOutbound,
    essentials: { ...s.outboundEssentials },
  };
}

/** The settings to send, or the problems by field. Scan numbers are only checked while detection is on. */
function validate(d: Draft, current: ProfileSettings): { settings?: Pick<ProfileSettings, 'scanDetection' | 'antiSpoofing' | 'defaultOutbound' | 'outboundEssentials'>; problems: Partial<Record<Field, Problem[]>> } {
  const problems: Partial<Record<Field, Problem[]>> = {};
  const ports = parseWhole(d.scanPorts);
  if (ports === undefined || ports < BOUNDS.scanPorts.min || ports > BOUNDS.scanPorts.max) problems.scanPorts = [{ code: 'scanPorts', detail: d.scanPorts, ...BOUNDS.scanPorts }];
  const within = checkDuration(d.scanWithin, BOUNDS.scanWithin);
  if ('problem' in within) problems.scanWithin = [durationProblem(within.problem)];
  const block = checkDuration(d.scanBlock, BOUNDS.block);
  if ('problem' in block) problems.scanBlock = [durationProblem(block.problem)];
  const scanOk = Object.keys(problems).length === 0 && ports !== undefined && 'seconds' in within && 'seconds' in block;
  if (d.scanEnabled && !scanOk) return { problems };
  // Off, with numbers that do not hold: the ones in force stay, for the next time it is switched on.
  const scanDetection = scanOk
    ? { enabled: d.scanEnabled, ports, withinSeconds: within.seconds, blockSeconds: block.seconds }
    : { ...current.scanDetection, enabled: false };
  return { settings: { scanDetection, antiSpoofing: d.antiSpoofing, defaultOutbound: d.defaultOutbound, outboundEssentials: d.essentials }, problems: {} };
}

function Counted({ id, text }: { id: string; text: (n: string) => string }) {
  const { i18n } = useTranslation();
  const n = useHitCount('profile', id);
  if (n === undefined) return null;
  return <small className="muted" style={{ display: 'block' }} data-testid={`count-${id}`} data-count={n}>{text(n.toLocaleString(i18n.language))}</small>;
}

function ProtectionsForm({ profile, settings, onClose }: { profile: ProfileName; settings: ProfileSettings; onClose: () => void }) {
  const { t } = useTranslation(['overview', 'common']);
  const change = useStore((s) => s.change);
  const navigate = useStore((s) => s.navigate);
  const resolvers = useStore((s) => s.status?.resolvers);
  useHitCounts();
  const ids = useId();
  const [draft, setDraft] = useState<Draft>(() => draftOf(settings));
  const [attempted, setAttempted] = useState(false);
  const [busy, setBusy] = useState(false);
  const set = <K extends keyof Draft>(key: K, value: Draft[K]) => setDraft((d) => ({ ...d, [key]: value }));

  const checked = validate(draft, settings);
  const shown = (field: Field) => (attempted && draft.scanEnabled ? checked.problems[field] : undefined);
  const described = (field: Field) => {
    const p = shown(field);
    return { describedBy: p ? `${ids}-${field}-error` : undefined, invalid: p !== undefined };
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (busy) return;
    if (!checked.settings) {
      setAttempted(true);
      // Take the keyboard to the first number that needs correcting.
      requestAnimationFrame(() => document.querySelector<HTMLElement>('[data-testid="protections-dialog"] [aria-invalid="true"]')?.focus());
      return;
    }
    setBusy(true);
    const ok = await change([{ op: 'setProfile', profile, settings: checked.settings }]);
    setBusy(false);
    if (ok) onClose();
  };

  const profileName = t(`common:profile.${profile}`);
  const servers = resolvers?.length ? resolvers.join(', ') : undefined;
  const essentialLabel = (e: Essential) => (e === 'dns' ? (servers ? t('protections.outbound.dns', { servers }) : t('protections.outbound.dnsNone')) : t(`protections.outbound.${e}`));

  return (
    <form noValidate onSubmit={(e) => void submit(e)} data-testid="protections-form" data-profile={profile}>
      <div className="dialog-head"><h2 id={`protections-title-${profile}`}>{t('protections.title', { profile: profileName })}</h2></div>
      <div className="dialog-body stack">
        {attempted && !checked.settings && <p className="status bad" role="alert">{t('protections.fixProblems')}</p>}

        <section className="subsection" aria-labelledby={`${ids}-scan`}>
          <div className="row">
            <span className="grow">
              <h3 id={`${ids}-scan`}>{t('protections.scan.title')}</h3>
              <small className="muted" id={`${ids}-scan-hint`}>{t('protections.scan.hint')}</small>
            </span>
            <Switch checked={draft.scanEnabled} label={t('protections.scan.title')} testId="scan-enabled" onChange={(on) => set('scanEnabled', on)} />
          </div>
          {draft.scanEnabled && (
            <div className="row" style={{ flexWrap: 'wrap', alignItems: 'flex-start', gap: 16 }}>
              <div className="field">
                <label htmlFor={`${ids}-ports`}>{t('protections.scan.ports')}</label>
                <input id={`${ids}-ports`} type="text" inputMode="numeric" autoComplete="off" value={draft.scanPorts} style={{ width: 90 }} data-testid="scan-ports"
                  aria-invalid={described('scanPorts').invalid || undefined} aria-describedby={described('scanPorts').describedBy}
                  onChange={(e) => set('scanPorts', e.currentTarget.value)} />
                <ProblemList id={`${ids}-scanPorts-error`} problems={shown('scanPorts')} testId="scan-ports-error" />
              </div>
              <div className="field">
                <label htmlFor={`${ids}-within`}>{t('protections.scan.within')}</label>
                <DurationInput id={`${ids}-within`} value={draft.scanWithin} label={t('protections.scan.within')} testId="scan-within"
                  {...described('scanWithin')} onChange={(v) => set('scanWithin', v)} />
                <ProblemList id={`${ids}-scanWithin-error`} problems={shown('scanWithin')} testId="scan-within-error" />
              </div>
              <div className="field">
                <label htmlFor={`${ids}-block`}>{t('protections.scan.block')}</label>
                <DurationInput id={`${ids}-block`} value={draft.scanBlock} label={t('protections.scan.block')} testId="scan-block"
                  {...described('scanBlock')} onChange={(v) => set('scanBlock', v)} />
                <ProblemList id={`${ids}-scanBlock-error`} problems={shown('scanBlock')} testId="scan-block-error" />
              </div>
            </div>
          )}
          <Counted id={`${profile}-scan-blocked`} text={(n) => t('protections.scan.counted', { n })} />
        </section>

        <section className="subsection" aria-labelledby={`${ids}-spoof`}>
          <div className="row">
            <span className="grow">
              <h3 id={`${ids}-spoof`}>{t('protections.spoof.title')}</h3>
              <small className="muted">{t('protections.spoof.hint')}</small>
            </span>
            <Switch checked={draft.antiSpoofing} label={t('protections.spoof.title')} testId="anti-spoofing" onChange={(on) => set('antiSpoofing', on)} />
          </div>
          <Counted id={`${profile}-spoofed`} text={(n) => t('protections.spoof.counted', { n })} />
        </section>

        <section className="subsection" aria-labelledby={`${ids}-out`}>
          <fieldset className="stack" style={{ gap: 6 }}>
            <legend><h3 id={`${ids}-out`}>{t('protections.outbound.title')}</h3></legend>
            {(['allow', 'block'] as const).map((choice) => (
              <label key={choice} className="row" style={{ alignItems: 'flex-start' }}>
                <input type="radio" name={`${ids}-outbound`} value={choice} checked={draft.defaultOutbound === choice} data-testid={`outbound-${choice}`}
                  aria-describedby={`${ids}-out-${choice}`} style={{ marginTop: 3 }} onChange={() => set('defaultOutbound', choice)} />
                <span>
                  {t(`protections.outbound.${choice}`)}
                  <small className="muted" id={`${ids}-out-${choice}`} style={{ display: 'block' }}>{t(`protections.outbound.${choice}Hint`)}</small>
                </span>
              </label>
            ))}
          </fieldset>
          {draft.defaultOutbound === 'block' && (
            <div data-testid="essentials">
              <h4 style={{ margin: '6px 0 0' }}>{t('protections.outbound.essentials')}</h4>
              {ESSENTIALS.map((e) => (
                <div className="setting" key={e} data-testid={`essential-${e}-row`}>
                  <span className="label">
                    <span>{essentialLabel(e)}</span>
                    <small>{t(`protections.outbound.${e}Hint`)}</small>
                    <Counted id={`${profile}-out-${e}`} text={(n) => t('protections.outbound.essentialCounted', { n })} />
                  </span>
                  <Switch checked={draft.essentials[e]} label={essentialLabel(e)} testId={`essential-${e}`}
                    onChange={(on) => set('essentials', { ...draft.essentials, [e]: on })} />
                </div>
              ))}
              {!draft.essentials.dns && <p className="status warn" style={{ fontWeight: 'normal' }}>{t('protections.outbound.noDnsWarning')}</p>}
            </div>
          )}
          <Counted id={`${profile}-default-block-out`} text={(n) => t('protections.outbound.counted', { n })} />
          <span>
            <button type="button" className="btn link" onClick={() => { onClose(); navigate('rules'); }}>{t('protections.outbound.rules')}</button>
          </span>
        </section>
      </div>
      <div className="dialog-foot">
        <button type="submit" className="btn primary" disabled={busy} data-testid="protections-save">{busy ? t('protections.saving') : t('common:action.save')}</button>
        <button type="button" className="btn" onClick={onClose}>{t('common:action.cancel')}</button>
      </div>
    </form>
  );
}

export function ProtectionsDialog({ profile, open, onClose }: { profile: ProfileName; open: boolean; onClose: () => void }) {
  const settings = useStore((s) => s.status?.profiles[profile]);
  return (
    <Dialog open={open && settings !== undefined} onClose={onClose} labelledBy={`protections-title-${profile}`} testId="protections-dialog" wide>
      {settings && <ProtectionsForm profile={profile} settings={settings} onClose={onClose} />}
    </Dialog>
  );
}
