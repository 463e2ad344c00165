/**
 * The dual-system parallel run: its settings and messages (with zod schemas, shared by the
 * workflows and the API). Its pure rules, used by the parallel-run workflow and the program, are
 * beside it: parallel-run-nights.ts (a night's status, streaks, the final gate, the trend),
 * parallel-run-schedule.ts (when what is compared, the run's end) and parallel-run-archive.ts (old
 * nights folded into counts). Runs in the workflow sandbox: no I/O, no clock (every rule takes "now").
 *
 * A "night" is one compared period: a hospital-local business day (YYYY-MM-DD), or in demos
 * (comparisonEvery) an interval labelled by its local start (YYYY-MM-DDTHH:mm:ss). The same night
 * may be compared more than once (a missed night retried, an extra comparison after a fix): per
 * night and domain the latest comparison counts.
 */
import { defineQuery, defineSignal } from '@temporalio/workflow';
import { z } from 'zod';
import { IsoDuration, type ComparisonDomain, type ParallelRunSettings } from './plan';
import { Actor } from './people';

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

/** One reason the final gate may not be requested yet, as data: the command center words it in the reader's language. */
export type FinalGateBlock =
  | { kind: 'minimum-duration'; until: string; extended: boolean }
  | { kind: 'not-compared'; businessDay: string; domain: string }
  | { kind: 'clean-nights'; compared: number; needed: number }
  | { kind: 'not-clean'; businessDay: string; domain: string; status: string }
  | { kind: 'last-wave-not-live' };

export interface FinalGateVerdict {
  ready: boolean;
  /** In English, for the refusal's message and the API's readers. */
  reasons: string[];
  /** The same reasons as data, one for one. */
  blocks: FinalGateBlock[];
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

export interface NightView {
  businessDay: string;
  fromMs: number;
  toMs: number;
  /** The latest result per domain. */
  results: Record<string, DomainResult>;
}

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
