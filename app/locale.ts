/** Which language a message is written in: the reader's own, else their hospital's, else English. */
import type { Pool } from 'pg';
import { fallbackLocale, isLocale, type Locale } from '../domain/i18n';

/** The plan's hospital.locale of a program, when it names one. */
export async function hospitalLocale(pool: Pool, programId: string | undefined): Promise<Locale | undefined> {
  if (!programId) return undefined;
  const { rows } = await pool.query<{ locale: string | null }>(`SELECT plan->'hospital'->>'locale' AS locale FROM program WHERE id = $1`, [
    programId,
  ]);
  const locale = rows[0]?.locale;
  return isLocale(locale) ? locale : undefined;
}

export async function readerLocale(pool: Pool, own: Locale | null | undefined, programId: string | undefined): Promise<Locale> {
  return own ?? (await hospitalLocale(pool, programId)) ?? fallbackLocale;
}
