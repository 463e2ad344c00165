/**
 * The parallel run's pure rules over compared nights: a night's status from the thresholds, the
 * latest result per night, clean streaks, the final gate's verdict, a wave's nights and the trend.
 */
import type { Severity } from './escalation';
import {
  outcomeWords,
  runSettings,
  type DomainResult,
  type DomainTrend,
  type FinalGateBlock,
  type FinalGateVerdict,
  type NightStatus,
  type NightSummary,
  type NightView,
} from './parallel-run';
import { minimumEndMs } from './parallel-run-schedule';
import type { ComparisonDomain, OnCritical, ParallelRunSettings } from './plan';

const iso = (ms: number) => new Date(ms).toISOString();

/** The engine's rule: a level is reached when the differing-key rate or count is strictly above it. */
export function nightStatus(
  thresholds: ComparisonDomain['thresholds'],
  counts: { differingKeys: number; mismatchRate: number },
): Exclude<NightStatus, 'failed'> {
  const hit = (t?: { rate?: number; count?: number }) =>
    !!t && ((t.rate !== undefined && counts.mismatchRate > t.rate) || (t.count !== undefined && counts.differingKeys > t.count));
  if (hit(thresholds.critical)) return 'critical';
  if (hit(thresholds.warning)) return 'warning';
  return 'clean';
}

/** Every night compared, oldest first, with the latest result per domain. */
export function latestNights(history: NightSummary[]): NightView[] {
  const byNight = new Map<string, NightView>();
  for (const s of history) {
    const view = byNight.get(s.businessDay) ?? {
      businessDay: s.businessDay,
      fromMs: Date.parse(s.window.from),
      toMs: Date.parse(s.window.to),
      results: {},
    };
    for (const r of s.perDomain) view.results[r.domain] = r;
    byNight.set(s.businessDay, view);
  }
  return [...byNight.values()].sort((a, b) => a.fromMs - b.fromMs);
}

/** Consecutive clean nights per domain, counted back from the latest night. A warning, critical, failed or absent result ends the streak. */
export function cleanStreaks(history: NightSummary[], domains: string[]): Record<string, number> {
  const nights = latestNights(history);
  return Object.fromEntries(
    domains.map((d) => {
      let n = 0;
      for (let i = nights.length - 1; i >= 0 && nights[i]!.results[d]?.status === 'clean'; i--) n++;
      return [d, n];
    }),
  );
}

/** Nights whose latest result for a domain is still failed: they are compared again until they are not. */
export function outstandingNights(history: NightSummary[]): { businessDay: string; domain: string }[] {
  return latestNights(history).flatMap((n) =>
    Object.values(n.results)
      .filter((r) => r.status === 'failed')
      .map((r) => ({ businessDay: n.businessDay, domain: r.domain })),
  );
}

const rank: Record<NightStatus, number> = { clean: 0, warning: 1, failed: 2, critical: 3 };

/** A night's status across domains: the worst of them. */
export function worstStatus(statuses: NightStatus[]): NightStatus {
  return statuses.reduce<NightStatus>((w, s) => (rank[s] > rank[w] ? s : w), 'clean');
}

/**
 * May the final gate open? Only when the minimum (and any extension) has passed since the last
 * wave went live, no night is left uncompared, and the last exitCleanNights nights since the last
 * wave went live were clean for every domain.
 */
export function finalGateReady(
  history: NightSummary[],
  settings: ParallelRunSettings,
  lastWaveLiveAtMs: number,
  nowMs: number,
  extendedUntilMs?: number | null,
): FinalGateVerdict {
  const reasons: string[] = [];
  const blocks: FinalGateBlock[] = [];
  const end = minimumEndMs(settings, lastWaveLiveAtMs, extendedUntilMs);
  if (nowMs < end) {
    const extended = Boolean(extendedUntilMs && extendedUntilMs >= end);
    reasons.push(`the parallel run lasts until ${iso(end)} at least${extended ? ' (extended)' : ''}`);
    blocks.push({ kind: 'minimum-duration', until: iso(end), extended });
  }
  const domains = runSettings(settings).domains.map((d) => d.name);
  // A plan that names no domains opted out of golive's comparison: only the minimum applies.
  if (domains.length === 0) return { ready: reasons.length === 0, reasons, blocks };
  for (const o of outstandingNights(history)) {
    reasons.push(`${o.businessDay}: ${o.domain} has not been compared yet`);
    blocks.push({ kind: 'not-compared', businessDay: o.businessDay, domain: o.domain });
  }
  const recent = latestNights(history)
    .filter((n) => n.fromMs >= lastWaveLiveAtMs)
    .slice(-settings.exitCleanNights);
  if (recent.length < settings.exitCleanNights) {
    reasons.push(`${recent.length} of ${settings.exitCleanNights} clean nights needed since the last wave went live have been compared`);
    blocks.push({ kind: 'clean-nights', compared: recent.length, needed: settings.exitCleanNights });
  }
  for (const d of domains) {
    for (const n of recent) {
      const status = n.results[d]?.status ?? 'not compared';
      const words = outcomeWords(n.results[d]?.outcomes);
      if (status !== 'clean' && status !== 'failed') {
        reasons.push(`${n.businessDay}: ${d} was ${status}${words ? ` (${words})` : ''}`);
        blocks.push({ kind: 'not-clean', businessDay: n.businessDay, domain: d, status });
      }
    }
  }
  return { ready: reasons.length === 0, reasons, blocks };
}

/** Gate evidence for a wave's exit gate: the nights compared since it went live. */
export function waveNightsSince(
  history: NightSummary[],
  liveAtMs: number,
  domains: string[],
): {
  compared: number;
  clean: number;
  warning: number;
  critical: number;
  failed: number;
  nights: { businessDay: string; status: NightStatus }[];
} {
  const nights = latestNights(history)
    .filter((n) => n.fromMs >= liveAtMs)
    .map((n) => ({ businessDay: n.businessDay, status: worstStatus(domains.map((d) => n.results[d]?.status ?? 'failed')) }));
  const count = (s: NightStatus) => nights.filter((n) => n.status === s).length;
  return {
    compared: nights.length,
    clean: count('clean'),
    warning: count('warning'),
    critical: count('critical'),
    failed: count('failed'),
    nights,
  };
}

export function trendSummary(history: NightSummary[], domains: string[]): DomainTrend[] {
  const nights = latestNights(history);
  const streaks = cleanStreaks(history, domains);
  return domains.map((domain) => {
    const results = nights.map((n) => n.results[domain]).filter((r): r is DomainResult => r !== undefined);
    const rates = results.filter((r) => r.status !== 'failed').map((r) => r.mismatchRate);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    let direction: DomainTrend['direction'] = 'unknown';
    if (rates.length >= 6) {
      const [before, last] = [mean(rates.slice(-6, -3)), mean(rates.slice(-3))];
      direction = last < before ? 'improving' : last > before ? 'worsening' : 'steady';
    }
    const count = (s: NightStatus) => results.filter((r) => r.status === s).length;
    return {
      domain,
      nights: results.length,
      clean: count('clean'),
      warning: count('warning'),
      critical: count('critical'),
      failed: count('failed'),
      cleanStreak: streaks[domain] ?? 0,
      latestMismatchRate: rates.at(-1) ?? null,
      maxMismatchRate: rates.length ? Math.max(...rates) : null,
      direction,
    };
  });
}

/**
 * A critical night that asks to pause or roll back means data is being lost or wrong in clinical
 * work: leadership hears at once (sev1). Otherwise sev2. A comparison that cannot run hides the
 * truth but harms no patient by itself: sev3.
 */
export function incidentSeverity(condition: 'comparison-critical' | 'comparison-not-run', policies: OnCritical[] = []): Severity {
  if (condition === 'comparison-not-run') return 'sev3';
  return policies.some((p) => p !== 'incident-only') ? 'sev1' : 'sev2';
}
