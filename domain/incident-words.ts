/**
 * The words people read for an incident's condition: the same in the e-mails, the chat messages
 * and on the command center, from the catalogs. Types only from domain/escalation, so the page's
 * bundle stays free of zod and the Temporal SDK.
 */
import type { Condition, Counts } from './escalation';
import { fallbackLocale, t, type Locale, type MessageKey } from './i18n';
import { en as catalogsKeys } from './i18n/en';

/** The condition in words; a condition this build does not know shows as its code. */
export function conditionWords(condition: Condition | string, locale: Locale = fallbackLocale): string {
  const key = `condition.${condition}` as MessageKey;
  return key in catalogsKeys ? t(locale, key) : condition;
}

/** The one-line what-happened: the condition and its counts ("a go-live step failed (1 failed step)"), nothing else. */
export function whatHappened(
  condition: Condition | string,
  counts: Counts | Record<string, number> = {},
  locale: Locale = fallbackLocale,
): string {
  const text = conditionWords(condition, locale);
  const c = Object.entries(counts)
    .filter(([, n]) => typeof n === 'number')
    .map(([k, n]) => (`count.${k}` in catalogsKeys ? t(locale, `count.${k}` as MessageKey, { n: n as number }) : `${k}=${n}`));
  return c.length ? t(locale, 'condition.withCounts', { condition: text, counts: c.join(t(locale, 'list.separator')) }) : text;
}
