/** A state as a word and a colour: colour is never the only signal. */
export function Badge({ state, label }: { state: string; label?: string }) {
  return <span class={`badge s-${state.replace(/[^a-z0-9-]/g, '')}`}>{label ?? state}</span>;
}

export const when = (iso: string | null | undefined) =>
  iso ? new Date(iso).toLocaleString(undefined, { dateStyle: 'short', timeStyle: 'medium' }) : '—';
export const pct = (rate: number | null | undefined, digits = 2) =>
  rate === null || rate === undefined ? '—' : `${(rate * 100).toFixed(digits)}%`;
