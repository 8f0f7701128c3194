// The Windows prompt, Palisade's way: an app with no rule started listening. Allow it on the
// networks ticked, or keep it blocked (which is remembered, so the prompt does not return).
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useStore } from '../store';
import { appKey } from '../../../shared/policy/identity';
import { formatAppIdentity } from '../../../shared/policy/identity-text';
import type { ProfileName } from '../../../shared/policy/schema';
import { Dialog } from './Dialog';
import { ShieldIcon } from './icons';
import { AppIcon } from './AppIcon';

export function PromptDialog() {
  const { t } = useTranslation('shell');
  const prompts = useStore((s) => s.prompts);
  const focusId = useStore((s) => s.focus?.promptId);
  const deferred = useStore((s) => s.deferredPrompts);
  const defer = useStore((s) => s.deferPrompt);
  const answer = useStore((s) => s.answerPrompt);
  const describe = useStore((s) => s.describeApps);
  const apps = useStore((s) => s.apps);
  const prompt = prompts.find((p) => p.id === focusId) ?? prompts.find((p) => !deferred.includes(p.id));
  const [profiles, setProfiles] = useState<Record<ProfileName, boolean>>({ private: true, public: false });

  useEffect(() => {
    if (!prompt) return;
    // As on Windows: the networks the machine is on now come pre-ticked, Private first.
    setProfiles({ private: prompt.profiles.includes('private') || !prompt.profiles.includes('public'), public: false });
    void describe([prompt.app]);
  }, [prompt, describe]);

  if (!prompt) return null;
  const description = apps[appKey(prompt.app)];
  const name = description?.name ?? prompt.name;
  const chosen = (['private', 'public'] as const).filter((p) => profiles[p]);
  const ports = [...new Set(prompt.ports.map((p) => `${p.port}/${p.protocol}`))].join(', ');
  return (
    <Dialog open onClose={() => defer(prompt.id)} labelledBy="prompt-title" testId="prompt-dialog">
      <div className="dialog-head">
        <ShieldIcon state="warn" />
        <h2 id="prompt-title">{t('prompt.title')}</h2>
      </div>
      <div className="dialog-body">
        <p>{t('prompt.intro', { name })}</p>
        <dl className="facts">
          <dt>{t('prompt.name')}</dt><dd className="row"><AppIcon src={description?.icon} name={name} /> {name}</dd>
          <dt>{t('prompt.path')}</dt><dd className="mono">{formatAppIdentity(prompt.app)}</dd>
          <dt>{t('prompt.ports')}</dt><dd className="mono">{ports}</dd>
          {prompt.process && <><dt>{t('prompt.process')}</dt><dd className="mono">{prompt.process.pid} · {prompt.process.user ?? prompt.process.uid}</dd></>}
        </dl>
        <p>{t('prompt.allowOn', { name })}</p>
        <div className="stack">
          {(['private', 'public'] as const).map((p) => (
            <label key={p} className="row">
              <input type="checkbox" checked={profiles[p]} data-testid={`prompt-${p}`} onChange={(e) => setProfiles({ ...profiles, [p]: e.currentTarget.checked })} />
              <span>{t(p === 'private' ? 'prompt.privateHint' : 'prompt.publicHint')}</span>
            </label>
          ))}
        </div>
        {prompts.length > 1 && <p className="muted">{t('prompt.more', { count: prompts.length - 1 })}</p>}
      </div>
      <div className="dialog-foot">
        <button type="button" className="btn primary" disabled={!chosen.length} data-testid="prompt-allow"
          onClick={() => void answer(prompt.id, { action: 'allow', profiles: chosen })}>{t('prompt.allow')}</button>
        <button type="button" className="btn" data-testid="prompt-block" onClick={() => void answer(prompt.id, { action: 'block' })}>{t('prompt.keepBlocked')}</button>
        <button type="button" className="btn link" data-testid="prompt-later" onClick={() => defer(prompt.id)}>{t('prompt.later')}</button>
      </div>
    </Dialog>
  );
}
