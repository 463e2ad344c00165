/**
 * The page's language and clock: every word from the catalogs (domain/i18n), every time in the
 * hospital's zone, labelled. A program's pages use its plan's zone; other pages the deployment's.
 */
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import { hospitalTime, isLocale, list, pickLocale, t, type Locale, type MessageKey, type Values } from '../domain/i18n';
import { after, duration, pct } from './components/format';

export type { Locale, MessageKey };

interface Words {
  locale: Locale;
  timeZone: string;
}
export const WordsContext = createContext<Words>({ locale: 'en', timeZone: 'Asia/Shanghai' });

const storageKey = 'golive.locale';

/** Before anyone signs in: the language last chosen on this browser, else the browser's own. */
export function browserLocale(): Locale {
  let saved: string | null = null;
  try {
    saved = localStorage.getItem(storageKey);
  } catch {
    // Storage may be off (private mode): the browser's languages decide.
  }
  return isLocale(saved) ? saved : pickLocale(navigator.languages.join(','));
}

export function rememberLocale(locale: Locale): void {
  try {
    localStorage.setItem(storageKey, locale);
  } catch {
    // Not kept on this browser; the person's own setting still follows them.
  }
  document.documentElement.lang = locale;
}

/** The words of the page: `t(key, values)`, times, lists. */
export function useWords() {
  const { locale, timeZone } = useContext(WordsContext);
  return {
    locale,
    timeZone,
    t: (key: MessageKey, values?: Values) => t(locale, key, values),
    /** A time in the hospital's zone, labelled ("2026-03-02 23:50 Asia/Shanghai"); — when there is none. */
    when: (iso: string | number | null | undefined, options?: { seconds?: boolean }) =>
      iso === null || iso === undefined || iso === '' ? '—' : hospitalTime(iso, timeZone, locale, options),
    list: (items: readonly string[]) => list(locale, items),
    /** "12 min", "1 小时 05 分钟": a length of time in the locale's units. */
    duration: (ms: number) => duration(ms, locale),
    /** "+1 h 05 min" after a start. */
    after: (fromIso: string, atIso: string) => after(fromIso, atIso, locale),
    /** A rate as the locale writes a percentage; — when there is none. */
    pct: (rate: number | null | undefined, digits?: number) => pct(rate, locale, digits),
  };
}
export type PageWords = ReturnType<typeof useWords>;
