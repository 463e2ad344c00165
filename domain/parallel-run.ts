/**
 * The dual-system parallel run: its messages (with zod schemas, shared by the workflows and the
 * API) and the pure rules the parallel-run workflow and the program both use: a night's status
 * from the thresholds, clean streaks, the comparison schedule, the final gate's verdict and the
 * trend. Runs in the workflow sandbox: no I/O, no clock (every rule takes "now").
 *
 * A "night" is one compared period: a hospital-local business day (YYYY-MM-DD), or in demos
 * (comparisonEvery) an interval labelled by its local start (YYYY-MM-DDTHH:mm:ss). The same night
 * may be compared more than once (a missed night retried, an extra comparison after a fix): per
 * night and domain the latest comparison counts.
 */
import { defineQuery, defineSignal } from '@temporalio/workflow';
import { DateTime } from 'luxon';
import { z } from 'zod';
import { durationMs, IsoDuration, type ComparisonDomain, type OnCritical, type ParallelRunSettings } from './plan';
import { Actor } from './people';
import { businessDayOf, businessDayWindow, nextLocalTime, parallelRunMinimumEndsAt } from './rules/time';
import type { Severity } from './escalation';

const DAY = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString();

// ---------------------------------------------------------------------------------------------
// Settings with their defaults

export const PARALLEL_RUN_DEFAULTS = { maxParallelDomains: 2, settle: 'PT5M' } as const;

export type RunSettings = ParallelRunSettings & { domains: ComparisonDomain[]; maxParallelDomains: number; settle: string };

/** The plan's parallelRun with the optional fields filled in (the plan schema leaves them out on purpose). */
export function runSettings(settings: ParallelRunSettings): RunSettings {
  return {
    ...settings,
    domains: settings.domains ?? [],
    maxParallelDomains: settings.maxParallelDomains ?? PARALLEL_RUN_DEFAULTS.maxParallelDomains,
    settle: settings.settle ?? PARALLEL_RUN_DEFAULTS.settle,
  };
}

// ---------------------------------------------------------------------------------------------
// Messages

const BusinessDay = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a business day YYYY-MM-DD');
const Instant = z.iso.datetime({ offset: true });
const Reason = z.string().trim().min(3).max(500);
const DepartmentCode = z.string().regex(/^[A-Z0-9][A-Z0-9_-]{0,31}$/);

export const NightStatus = z.enum(['clean', 'warning', 'critical', 'failed']);
export type NightStatus = z.infer<typeof NightStatus>;

/**
 * The comparison's outcomes beside missing, duplicate and mismatched keys (counts only; absent in
 * results recorded before they existed). Invalid keys (a NULL or, in a file, empty key column)
 * are differing keys like the other categories, so the thresholds count them.
 */
export const ComparisonOutcomes = z.object({
  /** Rows with an invalid key, per side: never matched, never a duplicate. */
  invalidKeysLegacy: z.number().int().min(0),
  invalidKeysNew: z.number().int().min(0),
  /** Local times that do not exist in their zone (a field with ambiguousTime): reported, not shifted. */
  ambiguousTimes: z.number().int().min(0).optional(),
  /** Keys rechecked on fresh snapshots because their rows were in flight (changed shortly before or during the comparison). */
  recheckedInFlight: z.number().int().min(0).optional(),
});
export type ComparisonOutcomes = z.infer<typeof ComparisonOutcomes>;

/** The outcomes in words for gate evidence ("" when there is nothing to say). */
export function outcomeWords(o: ComparisonOutcomes | undefined): string {
  if (!o) return '';
  const words: string[] = [];
  if (o.invalidKeysLegacy + o.invalidKeysNew > 0)
    words.push(`${o.invalidKeysLegacy} legacy and ${o.invalidKeysNew} new rows with an invalid key`);
  if (o.ambiguousTimes) words.push(`${o.ambiguousTimes} nonexistent local ${o.ambiguousTimes === 1 ? 'time' : 'times'}`);
  if (o.recheckedInFlight) words.push(`${o.recheckedInFlight} ${o.recheckedInFlight === 1 ? 'key' : 'keys'} rechecked in flight`);
  return words.join(', ');
}

/** One domain's comparison of one night: counts and the engine's run id only (the differences stay in PostgreSQL). */
export const DomainResult = z.object({
  domain: z.string(),
  status: NightStatus,
  /** Null when the comparison could not run. */
  runId: z.string().nullable(),
  rowsLegacy: z.number().int().min(0),
  rowsNew: z.number().int().min(0),
  differingKeys: z.number().int().min(0),
  mismatchRate: z.number().min(0).max(1),
  outcomes: ComparisonOutcomes.optional(),
});
export type DomainResult = z.infer<typeof DomainResult>;

/** What the parallel run tells the program after each compared night (signal nightCompared). */
export const NightSummary = z.object({
  businessDay: z.string(),
  window: z.object({ from: Instant, to: Instant }),
  /** nightly: the night that just ended; missed: a night that could not be compared before; extra: asked for by compareAgain. */
  kind: z.enum(['nightly', 'missed', 'extra']),
  comparedAt: Instant,
  /** The domains compared this time (a missed night repeats only the domains that failed). */
  perDomain: z.array(DomainResult),
  /** Consecutive clean nights per domain up to the latest night, after this comparison. */
  cleanStreak: z.record(z.string(), z.number().int().min(0)),
  /** Critical domains in this summary and what each asks of the program. */
  criticalDomains: z.array(z.object({ domain: z.string(), onCritical: z.enum(['pause', 'propose-rollback', 'incident-only']) })),
});
export type NightSummary = z.infer<typeof NightSummary>;

/** A wave went live: its departments join the comparison from the first whole night after liveAtMs. */
export const ScopeGrewInput = z.object({
  wave: z.number().int().min(1).max(99),
  departments: z.array(DepartmentCode).min(1),
  liveAtMs: z.number().int().min(0),
});
export type ScopeGrewInput = z.infer<typeof ScopeGrewInput>;

/** The lead extends the run: to an instant, or by a duration past the current end. An extension never shortens. */
const ExtendRunFields = z.object({ until: Instant.optional(), by: IsoDuration.optional(), reason: Reason });
const untilOrBy: [(x: { until?: string; by?: string }) => boolean, z.core.$ZodCustomParams] = [
  (x) => (x.until === undefined) !== (x.by === undefined),
  { message: 'give until or by, not both', path: ['until'], params: { rule: 'until-or-by' } },
];
/** What the API takes (the actor comes from the authenticated person). */
export const ExtendRunBody = ExtendRunFields.refine(...untilOrBy);
export const ExtendRunInput = ExtendRunFields.extend({ actor: Actor }).refine(...untilOrBy);
export type ExtendRunInput = z.infer<typeof ExtendRunInput>;

/** An extra comparison (after a fix, or once a downtime backlog is reconciled), of a business day or a window. */
const CompareAgainFields = z.object({
  businessDay: BusinessDay.optional(),
  window: z.object({ from: Instant, to: Instant }).optional(),
  reason: Reason,
});
const dayOrWindow: [(x: { businessDay?: string; window?: unknown }) => boolean, z.core.$ZodCustomParams] = [
  (x) => (x.businessDay === undefined) !== (x.window === undefined),
  { message: 'give businessDay or window, not both', path: ['businessDay'], params: { rule: 'day-or-window' } },
];
const nonEmptyWindow: [(x: { window?: { from: string; to: string } }) => boolean, z.core.$ZodCustomParams] = [
  (x) => !x.window || Date.parse(x.window.from) < Date.parse(x.window.to),
  { message: 'the window is empty', path: ['window'], params: { rule: 'empty-window' } },
];
export const CompareAgainBody = CompareAgainFields.refine(...dayOrWindow).refine(...nonEmptyWindow);
export const CompareAgainInput = CompareAgainFields.extend({ actor: Actor })
  .refine(...dayOrWindow)
  .refine(...nonEmptyWindow);
export type CompareAgainInput = z.infer<typeof CompareAgainInput>;

export interface ScopeEntry {
  wave: number;
  departments: string[];
  liveAtMs: number;
}

export interface ParallelRunInput {
  programId: string;
  /** Where nightCompared goes; absent: nobody is told (the run is still queryable). */
  programWorkflowId?: string;
  timeZone: string;
  settings: ParallelRunSettings;
  /** The waves live so far; the first is the pilot. */
  scope: ScopeEntry[];
}

export interface FinalGateVerdict {
  ready: boolean;
  reasons: string[];
}

export interface ParallelRunStatus {
  programId: string;
  scope: ScopeEntry[];
  ended: boolean;
  nextComparisonAt: string | null;
  nightsCompared: number;
  missed: { businessDay: string; domains: string[] }[];
  extendedUntil: string | null;
  /**
   * The minimum since the last wave went live, or the extension. The final gate's verdict is not
   * part of the status: a query sees the clock of the last workflow task, so the program computes
   * it with finalGateReady at its own "now".
   */
  endsNoEarlierThan: string;
  cleanStreak: Record<string, number>;
  trend: DomainTrend[];
  lastNight: NightSummary | null;
  /** Best-effort side effects that did not get through (the night itself is recorded). */
  notDelivered: number;
  incidentsNotRaised: number;
}

export const scopeGrewSignal = defineSignal<[ScopeGrewInput]>('scopeGrew');
export const extendRunSignal = defineSignal<[ExtendRunInput]>('extendRun');
export const compareAgainSignal = defineSignal<[CompareAgainInput]>('compareAgain');
export const endRunSignal = defineSignal('endRun');
/** Parallel run -> program, after every compared night. */
export const nightComparedSignal = defineSignal<[NightSummary]>('nightCompared');
export const parallelRunStatusQuery = defineQuery<ParallelRunStatus>('parallelRunStatus');
/** Every night compared so far, oldest first, with the latest result per domain: the command center's grid. */
export const parallelRunNightsQuery = defineQuery<{ domains: string[]; nights: NightView[] }>('parallelRunNights');

// ---------------------------------------------------------------------------------------------
// Night status and streaks

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

export interface NightView {
  businessDay: string;
  fromMs: number;
  toMs: number;
  /** The latest result per domain. */
  results: Record<string, DomainResult>;
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

// ---------------------------------------------------------------------------------------------
// Schedule

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

// ---------------------------------------------------------------------------------------------
// Extensions and the final gate

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
  const end = minimumEndMs(settings, lastWaveLiveAtMs, extendedUntilMs);
  if (nowMs < end)
    reasons.push(`the parallel run lasts until ${iso(end)} at least${extendedUntilMs && extendedUntilMs >= end ? ' (extended)' : ''}`);
  const domains = runSettings(settings).domains.map((d) => d.name);
  // A plan that names no domains opted out of golive's comparison: only the minimum applies.
  if (domains.length === 0) return { ready: reasons.length === 0, reasons };
  for (const o of outstandingNights(history)) reasons.push(`${o.businessDay}: ${o.domain} has not been compared yet`);
  const recent = latestNights(history)
    .filter((n) => n.fromMs >= lastWaveLiveAtMs)
    .slice(-settings.exitCleanNights);
  if (recent.length < settings.exitCleanNights)
    reasons.push(`${recent.length} of ${settings.exitCleanNights} clean nights needed since the last wave went live have been compared`);
  for (const d of domains) {
    for (const n of recent) {
      const status = n.results[d]?.status ?? 'not compared';
      const words = outcomeWords(n.results[d]?.outcomes);
      if (status !== 'clean' && status !== 'failed') reasons.push(`${n.businessDay}: ${d} was ${status}${words ? ` (${words})` : ''}`);
    }
  }
  return { ready: reasons.length === 0, reasons };
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

// ---------------------------------------------------------------------------------------------
// Trend and incidents

export interface DomainTrend {
  domain: string;
  nights: number;
  clean: number;
  warning: number;
  critical: number;
  failed: number;
  cleanStreak: number;
  latestMismatchRate: number | null;
  maxMismatchRate: number | null;
  /** The mean mismatch rate of the last 3 compared nights against the 3 before. */
  direction: 'improving' | 'worsening' | 'steady' | 'unknown';
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

// ---------------------------------------------------------------------------------------------
// Bounded history: old nights folded into counts

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
