/** When the parallel run compares what: the nights (or demo intervals) in order, their departments, and the run's end. */
import { DateTime } from 'luxon';
import type { CompareAgainInput, ExtendRunInput, ScopeEntry } from './parallel-run';
import { durationMs, type ParallelRunSettings } from './plan';
import { businessDayOf, businessDayWindow, nextLocalTime, parallelRunMinimumEndsAt } from './rules/time';

const DAY = 86_400_000;

export interface Period {
  /** The night's label: the business day, or in demos the local start of the interval. */
  businessDay: string;
  fromMs: number;
  toMs: number;
}

export function nextBusinessDay(day: string): string {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d) + DAY).toISOString().slice(0, 10);
}

function demoPeriod(fromMs: number, every: string, tz: string): Period {
  return {
    businessDay: DateTime.fromMillis(fromMs, { zone: tz }).toFormat("yyyy-MM-dd'T'HH:mm:ss"),
    fromMs,
    toMs: fromMs + durationMs(every),
  };
}

function dayPeriod(day: string, tz: string): Period {
  const [fromMs, toMs] = businessDayWindow(day, tz);
  return { businessDay: day, fromMs, toMs };
}

/**
 * The first night a department live since `liveAtMs` is compared in: the first whole business day
 * after it went live (its go-live day is partly legacy-only, which would show as missing rows).
 */
export function firstPeriod(settings: Pick<ParallelRunSettings, 'comparisonEvery'>, tz: string, liveAtMs: number): Period {
  if (settings.comparisonEvery) return demoPeriod(liveAtMs, settings.comparisonEvery, tz);
  const day = businessDayOf(liveAtMs, tz);
  const p = dayPeriod(day, tz);
  return p.fromMs === liveAtMs ? p : dayPeriod(nextBusinessDay(day), tz);
}

export function periodAfter(settings: Pick<ParallelRunSettings, 'comparisonEvery'>, tz: string, p: Period): Period {
  return settings.comparisonEvery ? demoPeriod(p.toMs, settings.comparisonEvery, tz) : dayPeriod(nextBusinessDay(p.businessDay), tz);
}

/** When a period is compared: at the first nightlyAt once it has ended (a nightlyAt skipped by daylight saving: at the jump), or in demos at its end. */
export function comparisonAt(settings: Pick<ParallelRunSettings, 'comparisonEvery' | 'nightlyAt'>, tz: string, p: Period): number {
  return settings.comparisonEvery ? p.toMs : nextLocalTime(settings.nightlyAt, tz, p.toMs - 1);
}

/** The period a compareAgain names. */
export function requestedPeriod(req: Pick<CompareAgainInput, 'businessDay' | 'window'>, tz: string): Period {
  if (req.businessDay) return dayPeriod(req.businessDay, tz);
  const fromMs = Date.parse(req.window!.from);
  return {
    businessDay: DateTime.fromMillis(fromMs, { zone: tz }).toFormat("yyyy-MM-dd'T'HH:mm:ss"),
    fromMs,
    toMs: Date.parse(req.window!.to),
  };
}

/** The departments compared in a period: those of the waves live before it started. */
export function departmentsIn(scope: ScopeEntry[], fromMs: number): string[] {
  return scope.filter((w) => w.liveAtMs <= fromMs).flatMap((w) => w.departments);
}

export function minimumEndMs(
  settings: Pick<ParallelRunSettings, 'minimumDays' | 'minimumDuration'>,
  lastWaveLiveAtMs: number,
  extendedUntilMs?: number | null,
): number {
  return Math.max(parallelRunMinimumEndsAt(settings, lastWaveLiveAtMs), extendedUntilMs ?? 0);
}

/** The run's new end after an extension: `until`, or `by` past the current end; never earlier than before. */
export function applyExtension(currentEndMs: number, ext: Pick<ExtendRunInput, 'until' | 'by'>): number {
  const wanted = ext.until !== undefined ? Date.parse(ext.until) : currentEndMs + durationMs(ext.by!);
  return Math.max(currentEndMs, wanted);
}
