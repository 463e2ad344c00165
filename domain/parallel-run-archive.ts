/** The parallel run's bounded history: the oldest nights folded into counts, and the views over archive and kept nights. */
import type { DomainResult, DomainTrend, NightSummary } from './parallel-run';
import { cleanStreaks, latestNights, trendSummary, waveNightsSince, worstStatus } from './parallel-run-nights';

/** Business days of results kept whole in a workflow's state; older ones are folded into a NightArchive. */
export const NIGHTS_KEPT = 62;

type StatusCounts = { clean: number; warning: number; critical: number; failed: number };
const zeroCounts = (): StatusCounts => ({ clean: 0, warning: 0, critical: 0, failed: 0 });

/**
 * What the views need of the nights no longer kept whole (their rows stay in PostgreSQL): counts
 * per domain and per wave, the highest and the last few mismatch rates, and the clean streak at
 * the newest archived night. Views over (archive + kept nights) equal views over every night.
 */
export interface NightArchive {
  /** Business days folded in, and the comparisons (summaries) they held. */
  days: number;
  summaries: number;
  domains: Record<string, StatusCounts & { nights: number; maxMismatchRate: number | null; lastRates: number[]; streak: number }>;
  /** Per wave (by number): archived nights since the wave went live, by worst status. */
  waves: Record<string, StatusCounts>;
}

/**
 * Folds the oldest business days beyond `keep` into the archive, in place. A day whose latest
 * result in some domain is still failed is never folded (it is compared again until it is not),
 * nor is any day after it.
 */
export function compactNights(
  run: { nights: NightSummary[]; archive?: NightArchive },
  domains: string[],
  waves: { wave: number; liveAtMs?: number }[],
  keep = NIGHTS_KEPT,
): void {
  const days = latestNights(run.nights);
  if (days.length <= keep) return;
  const folded = new Set<string>();
  const a = (run.archive ??= { days: 0, summaries: 0, domains: {}, waves: {} });
  for (const day of days.slice(0, days.length - keep)) {
    if (Object.values(day.results).some((r) => r.status === 'failed')) break;
    folded.add(day.businessDay);
    a.days += 1;
    for (const d of domains) {
      const e = (a.domains[d] ??= { ...zeroCounts(), nights: 0, maxMismatchRate: null, lastRates: [], streak: 0 });
      const r = day.results[d];
      e.streak = r?.status === 'clean' ? e.streak + 1 : 0;
      if (!r) continue;
      e.nights += 1;
      e[r.status] += 1;
      // As in trendSummary, a failed comparison has no rate.
      if (r.status === 'failed') continue;
      e.maxMismatchRate = e.maxMismatchRate === null ? r.mismatchRate : Math.max(e.maxMismatchRate, r.mismatchRate);
      e.lastRates = [...e.lastRates, r.mismatchRate].slice(-6);
    }
    const worst = worstStatus(domains.map((d) => day.results[d]?.status ?? 'failed'));
    for (const w of waves) {
      if (w.liveAtMs === undefined || day.fromMs < w.liveAtMs) continue;
      (a.waves[String(w.wave)] ??= zeroCounts())[worst] += 1;
    }
  }
  const before = run.nights.length;
  run.nights = run.nights.filter((n) => !folded.has(n.businessDay));
  a.summaries += before - run.nights.length;
}

/** cleanStreaks over the archive and the kept nights. */
export function cleanStreaksWith(history: NightSummary[], domains: string[], archive?: NightArchive): Record<string, number> {
  const recent = cleanStreaks(history, domains);
  const kept = latestNights(history).length;
  return Object.fromEntries(domains.map((d) => [d, recent[d]! + (recent[d] === kept ? (archive?.domains[d]?.streak ?? 0) : 0)]));
}

/** trendSummary over the archive and the kept nights. */
export function trendSummaryWith(history: NightSummary[], domains: string[], archive?: NightArchive): DomainTrend[] {
  const streaks = cleanStreaksWith(history, domains, archive);
  const nights = latestNights(history);
  return trendSummary(history, domains).map((t) => {
    const old = archive?.domains[t.domain];
    if (!old) return { ...t, cleanStreak: streaks[t.domain] ?? 0 };
    const recentRates = nights
      .map((n) => n.results[t.domain])
      .filter((r): r is DomainResult => r !== undefined && r.status !== 'failed')
      .map((r) => r.mismatchRate);
    const rates = [...old.lastRates, ...recentRates];
    const mean = (xs: number[]) => xs.reduce((x, y) => x + y, 0) / xs.length;
    let direction: DomainTrend['direction'] = 'unknown';
    if (rates.length >= 6) {
      const [before, last] = [mean(rates.slice(-6, -3)), mean(rates.slice(-3))];
      direction = last < before ? 'improving' : last > before ? 'worsening' : 'steady';
    }
    const max = [old.maxMismatchRate, t.maxMismatchRate].filter((x): x is number => x !== null);
    return {
      domain: t.domain,
      nights: t.nights + old.nights,
      clean: t.clean + old.clean,
      warning: t.warning + old.warning,
      critical: t.critical + old.critical,
      failed: t.failed + old.failed,
      cleanStreak: streaks[t.domain] ?? 0,
      latestMismatchRate: t.latestMismatchRate ?? old.lastRates.at(-1) ?? null,
      maxMismatchRate: max.length ? Math.max(...max) : null,
      direction,
    };
  });
}

/** waveNightsSince's counts over the archive and the kept nights. */
export function waveCountsWith(history: NightSummary[], wave: number, liveAtMs: number, domains: string[], archive?: NightArchive) {
  const { compared, clean, warning, critical, failed } = waveNightsSince(history, liveAtMs, domains);
  const old = archive?.waves[String(wave)] ?? zeroCounts();
  return {
    wave,
    compared: compared + old.clean + old.warning + old.critical + old.failed,
    clean: clean + old.clean,
    warning: warning + old.warning,
    critical: critical + old.critical,
    failed: failed + old.failed,
  };
}
