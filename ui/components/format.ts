import { t, type Locale } from '../../domain/i18n';

/** A duration as a person reads it at a glance: "40 s", "12 min", "1 h 05 min", "2 d 3 h" (in the locale's units). */
export function duration(ms: number, locale: Locale): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return t(locale, 'ui.duration.s', { n: s });
  const m = Math.floor(s / 60);
  if (m < 60) return t(locale, 'ui.duration.min', { n: m });
  const h = Math.floor(m / 60);
  if (h < 24) return t(locale, 'ui.duration.hmin', { h, m: String(m % 60).padStart(2, '0') });
  return t(locale, 'ui.duration.dh', { d: Math.floor(h / 24), h: h % 24 });
}

/** "+1 h 05 min" after a start, for timelines. */
export const after = (fromIso: string, atIso: string, locale: Locale) =>
  t(locale, 'ui.duration.after', { duration: duration(Date.parse(atIso) - Date.parse(fromIso), locale) });

/** A rate (0.0123) as the locale writes a percentage, with `digits` decimals; — when there is none. */
export const pct = (rate: number | null | undefined, locale: Locale, digits = 2) =>
  rate === null || rate === undefined
    ? '—'
    : new Intl.NumberFormat(locale, { style: 'percent', minimumFractionDigits: digits, maximumFractionDigits: digits }).format(rate);
