import { t, type Locale } from '../../domain/i18n';
import type { ProgramStatus } from '../program';

/** "Day 3 of 14", or minutes for a demo plan whose run lasts less than a day. */
export function runProgress(status: ProgramStatus, locale: Locale, now = Date.now()): string | undefined {
  const start = status.waves[0]?.wentLiveAt;
  const end = status.parallelRun.endsNoEarlierThan;
  if (!status.parallelRun.started || !start || !end) return undefined;
  const total = Date.parse(end) - Date.parse(start);
  const elapsed = Math.max(0, now - Date.parse(start));
  const unit = total >= 86_400_000 ? 86_400_000 : 60_000;
  const length = Math.max(1, Math.round(total / unit));
  const n = Math.min(Math.floor(elapsed / unit) + 1, Math.max(length, Math.floor(elapsed / unit) + 1));
  return t(locale, 'ui.common.progress', { unit: unit === 86_400_000 ? 'day' : 'minute', n, total: length });
}
