// "Is <network> a private network?" — asked once for each network the machine joins.
import { useTranslation } from 'react-i18next';
import { useStore } from '../store';
import { Dialog } from './Dialog';
import { ShieldIcon } from './icons';

export function NetworkQuestion() {
  const { t } = useTranslation('shell');
  const networks = useStore((s) => s.networks);
  const change = useStore((s) => s.change);
  const prompting = useStore((s) => s.prompts.length > 0);
  // One question at a time, and never on top of an app prompt.
  const question = prompting ? undefined : networks?.known.find((n) => n.undecided && n.active);
  if (!question) return null;
  const choose = (profile: 'private' | 'public') => void change([{ op: 'setNetworkProfile', network: question.key, profile }]);
  return (
    <Dialog open onClose={() => choose('public')} labelledBy="network-title" testId="network-question">
      <div className="dialog-head">
        <ShieldIcon state="ok" />
        <h2 id="network-title">{t('network.title', { name: question.name })}</h2>
      </div>
      <div className="dialog-body"><p>{t('network.body')}</p></div>
      <div className="dialog-foot">
        <button type="button" className="btn primary" data-testid="network-private" onClick={() => choose('private')}>{t('network.private')}</button>
        <button type="button" className="btn" data-testid="network-public" onClick={() => choose('public')}>{t('network.public')}</button>
      </div>
    </Dialog>
  );
}
