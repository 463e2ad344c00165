/**
 * The language of an answer's human `message` (error codes stay stable English codes): the
 * caller's Accept-Language, else the signed-in person's own, else English. zod's own messages
 * (too small, wrong type ...) come from zod's locale; golive's rule messages stay as written.
 */
import type { Request, Response } from 'express';
import { z } from 'zod';
import { isLocale, pickLocale, t, type Locale, type MessageKey, type Values } from '../domain/i18n';
import { en } from '../domain/i18n/en';

export function requestLocale(req: Request, res: Response): Locale {
  const own = (res.locals.principal as { locale?: unknown } | undefined)?.locale;
  return pickLocale(req.get('accept-language'), isLocale(own) ? own : undefined);
}

const zhErrors = z.locales.zhCN().localeError;
/** Options for safeParse that word zod's built-in issues in the locale. */
export const parseOptions = (locale: Locale) => (locale === 'zh-CN' ? { error: zhErrors } : undefined);

/**
 * The message for an error code: in English the specific message the code was raised with; in
 * Chinese the catalog's words for the code where it has them (the specific English otherwise).
 */
export function errorMessage(locale: Locale, code: string, english: string, values?: Values): string {
  const key = `api.error.${code}`;
  if (locale === 'en' || !(key in en)) return english;
  return t(locale, key as MessageKey, values);
}
