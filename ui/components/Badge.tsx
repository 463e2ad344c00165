import { catalogs, type MessageKey } from '../../domain/i18n';
import { useWords } from '../i18n';

/** A state as a word and a colour: colour is never the only signal, and the word is never the raw id. */
export function Badge({ state, label }: { state: string; label?: string }) {
  const { t } = useWords();
  const key = `ui.state.${state}` as MessageKey;
  return <span class={`badge s-${state.replace(/[^a-z0-9-]/g, '')}`}>{label ?? (key in catalogs.en ? t(key) : state)}</span>;
}

/** Deprecated: the browser's clock; pages use useWords().when (the hospital's, labelled). */
export const when = (iso: string | null | undefined) =>
  iso ? new Date(iso).toLocaleString(undefined, { dateStyle: 'short', timeStyle: 'medium' }) : '—';
export const pct = (rate: number | null | undefined, digits = 2) =>
  rate === null || rate === undefined ? '—' : `${(rate * 100).toFixed(digits)}%`;
