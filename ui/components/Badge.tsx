import { catalogs, type MessageKey } from '../../domain/i18n';
import { useWords } from '../i18n';

/** A state as a word and a colour: colour is never the only signal, and the word is never the raw id. */
export function Badge({ state, label }: { state: string; label?: string }) {
  const { t } = useWords();
  const key = `ui.state.${state}` as MessageKey;
  return <span class={`badge s-${state.replace(/[^a-z0-9-]/g, '')}`}>{label ?? (key in catalogs.en ? t(key) : state)}</span>;
}
