/**
 * golive's two locales and their catalogs, through FormatJS's ICU MessageFormat. Pure (no I/O),
 * free of zod and the Temporal SDK: the e-mails, the chat messages and the command center's
 * bundle all format from here.
 */
import { IntlMessageFormat } from 'intl-messageformat';
import { en as coreEn } from './en';
import { zhCN as coreZh } from './zh-CN';
import * as frame from './ui/frame';
import * as common from './ui/common';
import * as gates from './ui/gates';
import * as overview from './ui/overview';
import * as ack from './ui/ack';
import * as actions from './ui/actions';
import * as incidents from './ui/incidents';
import * as emergency from './ui/emergency';
import * as parallelRun from './ui/parallel-run';
import * as audit from './ui/audit';
import * as runbooks from './ui/runbooks';

/** Every catalog: the messages' (e-mail, chat, API) and the command center's areas. A new area is one line in each. */
const en = {
  ...coreEn,
  ...frame.en,
  ...common.en,
  ...gates.en,
  ...overview.en,
  ...ack.en,
  ...actions.en,
  ...incidents.en,
  ...emergency.en,
  ...parallelRun.en,
  ...audit.en,
  ...runbooks.en,
};
export type MessageKey = keyof typeof en;
const zhCN: Record<MessageKey, string> = {
  ...coreZh,
  ...frame.zhCN,
  ...common.zhCN,
  ...gates.zhCN,
  ...overview.zhCN,
  ...ack.zhCN,
  ...actions.zhCN,
  ...incidents.zhCN,
  ...emergency.zhCN,
  ...parallelRun.zhCN,
  ...audit.zhCN,
  ...runbooks.zhCN,
};
export const locales = ['zh-CN', 'en'] as const;
export type Locale = (typeof locales)[number];
/** Where neither the person nor the hospital says: the locale golive spoke before it had two. */
export const fallbackLocale: Locale = 'en';

export const catalogs: Record<Locale, Record<MessageKey, string>> = { en, 'zh-CN': zhCN };

export type Values = Record<string, string | number>;
const compiled = new Map<string, IntlMessageFormat>();

/** The message `key` in `locale`, its variables filled in (plurals and selects by ICU rules). */
export function t(locale: Locale, key: MessageKey, values?: Values): string {
  const id = `${locale}\0${key}`;
  let format = compiled.get(id);
  if (!format) {
    format = new IntlMessageFormat(catalogs[locale][key], locale, undefined, { ignoreTag: true });
    compiled.set(id, format);
  }
  return String(format.format(values));
}

export const isLocale = (s: unknown): s is Locale => typeof s === 'string' && (locales as readonly string[]).includes(s);

/**
 * The best of our locales for an Accept-Language header ("zh-CN,zh;q=0.9,en;q=0.8"): any
 * Chinese (zh, zh-CN, zh-Hans, zh-TW) reads Simplified Chinese here, anything else English.
 */
export function pickLocale(acceptLanguage: string | undefined, otherwise: Locale = fallbackLocale): Locale {
  if (!acceptLanguage) return otherwise;
  const ranked = acceptLanguage
    .split(',')
    .map((part, i) => {
      const [tag, ...params] = part.trim().split(';');
      const q = Number(
        params
          .find((p) => p.trim().startsWith('q='))
          ?.trim()
          .slice(2) ?? 1,
      );
      return { tag: (tag ?? '').trim().toLowerCase(), q: Number.isFinite(q) ? q : 0, i };
    })
    .filter((r) => r.tag && r.q > 0)
    .sort((a, b) => b.q - a.q || a.i - b.i);
  for (const r of ranked) {
    if (r.tag === 'zh' || r.tag.startsWith('zh-')) return 'zh-CN';
    if (r.tag === 'en' || r.tag.startsWith('en-')) return 'en';
  }
  return otherwise;
}

/** A list of codes in the locale's way (ICU has no list pattern for codes: the catalog's separator). */
export const list = (locale: Locale, items: readonly string[]) => items.join(t(locale, 'list.separator'));

/**
 * "2026-03-02 23:50 Asia/Shanghai" / "2026-03-02 23:50（中国标准时间）": the hospital's wall
 * clock, with its zone, the same digits in both locales (a night's times are compared across
 * e-mails, pages and paper).
 */
export function hospitalTime(iso: string | number, timeZone: string, locale: Locale, options: { seconds?: boolean } = {}): string {
  const date = new Date(iso);
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    ...(options.seconds ? { second: '2-digit' } : {}),
    hourCycle: 'h23',
  }).formatToParts(date);
  const get = (type: string) => parts.find((p) => p.type === type)!.value;
  const time = `${get('year')}-${get('month')}-${get('day')} ${get('hour')}:${get('minute')}${options.seconds ? `:${get('second')}` : ''}`;
  const zone =
    locale === 'en'
      ? timeZone
      : (new Intl.DateTimeFormat(locale, { timeZone, timeZoneName: 'long' }).formatToParts(date).find((p) => p.type === 'timeZoneName')
          ?.value ?? timeZone);
  return t(locale, 'time.at', { time, zone });
}
