/** A duration as a person reads it at a glance: "40 s", "12 min", "1 h 05 min", "2 d 3 h". */
export function duration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h} h ${String(m % 60).padStart(2, '0')} min`;
  return `${Math.floor(h / 24)} d ${h % 24} h`;
}

/** "+1 h 05 min" after a start, for timelines. */
export const after = (fromIso: string, atIso: string) => `+${duration(Date.parse(atIso) - Date.parse(fromIso))}`;
