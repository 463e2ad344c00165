import {
  allHandlersFinished,
  ApplicationFailure,
  condition,
  continueAsNew,
  isCancellation,
  log,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  upsertSearchAttributes,
  uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import { retryPolicies } from './retry-policies';
import { ErrorType, nonRetryableErrorTypes } from '../domain/errors';
import { GoliveProgram } from '../domain/search-attributes';
import {
  CompareAgainInput,
  compareAgainSignal,
  endRunSignal,
  extendRunSignal,
  ExtendRunInput,
  parallelRunStatusQuery,
  parallelRunNightsQuery,
  runSettings,
  scopeGrewSignal,
  ScopeGrewInput,
  type DomainResult,
  type NightSummary,
  type ParallelRunInput,
  type ParallelRunStatus,
  type ScopeEntry,
} from '../domain/parallel-run';
import { cleanStreaks, incidentSeverity, latestNights, nightStatus, outstandingNights, trendSummary } from '../domain/parallel-run-nights';
import {
  applyExtension,
  comparisonAt,
  departmentsIn,
  firstPeriod,
  minimumEndMs,
  periodAfter,
  requestedPeriod,
  type Period,
} from '../domain/parallel-run-schedule';
import { durationMs, type ComparisonDomain } from '../domain/plan';

const { compareNight } = proxyActivities<Activities>({
  // A big domain streams both systems for an hour or more; the activity heartbeats every 20 s,
  // so a dead worker is noticed within minutes rather than at the end of the window.
  startToCloseTimeout: '4h',
  heartbeatTimeout: '2m',
  // A database that is away at 02:00 is often back within minutes (a restart, a failover): four
  // retries over about a quarter of an hour (1 + 2 + 4 + 8 minutes). Past that the night is
  // recorded as failed, an incident is raised and the night is compared again the next night.
  retry: { initialInterval: '1m', backoffCoefficient: 2, maximumInterval: '10m', maximumAttempts: 5, nonRetryableErrorTypes },
});

const { raiseComparisonIncident, notifyProgram } = proxyActivities<Activities>({
  // One PostgreSQL read and one Temporal call.
  startToCloseTimeout: '30s',
  // The night is already recorded in this workflow; an hour covers a restart of Temporal or
  // PostgreSQL. Past that it is counted as not delivered (visible in the status query).
  scheduleToCloseTimeout: '1h',
  retry: { initialInterval: '5s', backoffCoefficient: 2, maximumInterval: '5m', nonRetryableErrorTypes },
});

const { programRunStatus } = proxyLocalActivities<Activities>({
  // One describe call to Temporal: a second at most. Local, so the nightly check adds one marker
  // to the history instead of an activity's six events.
  startToCloseTimeout: '10s',
  // No retry: a check that fails (Temporal away) counts as "still running" and is made again
  // before the next comparison.
  retry: { maximumAttempts: 1 },
});

const { recordAudit } = proxyActivities<Activities>({
  // A single-row insert into PostgreSQL.
  startToCloseTimeout: '30s',
  // The trail must say why the run ended: retry until PostgreSQL is back (idempotent on its key).
  retry: retryPolicies.untilRecorded,
});

/**
 * The program's runs that end the parallel run: closed without continuing as new. A completed
 * program has said endRun before completing (the final gate's go); completed and not ended here
 * means that signal never came, and nobody else will send it.
 */
const programGone = new Set(['completed', 'failed', 'canceled', 'terminated', 'timed-out']);

/** Continue as new at least this often, so even a year-long run keeps every history small. */
const NIGHTS_PER_RUN = 30;

/** Everything the run knows; carried whole across continue-as-new. */
export interface ParallelRunState {
  scope: ScopeEntry[];
  /** The next night to compare: nights are compared in order, none is skipped. */
  next: Period;
  /** Every comparison summary, oldest first (counts and run ids; the differences are in PostgreSQL). */
  history: NightSummary[];
  /** compareAgain requests, compared once their window has ended. */
  extras: (Period & { dueMs: number })[];
  extendedUntilMs: number | null;
  ended: boolean;
  notDelivered: number;
  incidentsNotRaised: number;
}

export type ParallelRunWorkflowInput = ParallelRunInput & { state?: ParallelRunState };

interface Job {
  period: Period;
  kind: NightSummary['kind'];
  domain: ComparisonDomain;
}

async function limited<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!);
      }
    }),
  );
  return out;
}

/**
 * The dual-system parallel run of one program: every night (hospital-local nightlyAt) it compares
 * the business day that just ended for every domain, tells the program, raises incidents for
 * critical domains and for comparisons that could not run, and compares a missed night again
 * the next night. It ends only on endRun; the program decides when.
 */
export async function parallelRunWorkflow(input: ParallelRunWorkflowInput): Promise<ParallelRunStatus> {
  const { programId, timeZone: tz } = input;
  const settings = runSettings(input.settings);
  const domainNames = settings.domains.map((d) => d.name);
  const selfId = workflowInfo().workflowId;
  if (!input.state && input.scope.length === 0)
    throw ApplicationFailure.create({
      type: ErrorType.InvalidInput,
      nonRetryable: true,
      message: 'the parallel run starts with the pilot in scope',
    });
  const s: ParallelRunState = input.state ?? {
    scope: [...input.scope].sort((a, b) => a.wave - b.wave),
    next: firstPeriod(settings, tz, Math.min(...input.scope.map((w) => w.liveAtMs))),
    history: [],
    extras: [],
    extendedUntilMs: null,
    ended: false,
    notDelivered: 0,
    incidentsNotRaised: 0,
  };
  const lastWaveLiveAtMs = () => Math.max(...s.scope.map((w) => w.liveAtMs));
  let wakeups = 0;

  // ---------------------------------------------------------------- messages
  // Signals cannot be refused: a payload that does not fit its schema is logged and ignored.

  setHandler(scopeGrewSignal, (raw) => {
    const parsed = ScopeGrewInput.safeParse(raw);
    if (!parsed.success) return void log.warn('scopeGrew ignored: bad payload');
    if (s.scope.some((w) => w.wave === parsed.data.wave)) return;
    s.scope = [...s.scope, parsed.data].sort((a, b) => a.wave - b.wave);
  });

  setHandler(extendRunSignal, (raw) => {
    const parsed = ExtendRunInput.safeParse(raw);
    if (!parsed.success) return void log.warn('extendRun ignored: bad payload');
    s.extendedUntilMs = applyExtension(minimumEndMs(settings, lastWaveLiveAtMs(), s.extendedUntilMs), parsed.data);
  });

  setHandler(compareAgainSignal, (raw) => {
    const parsed = CompareAgainInput.safeParse(raw);
    if (!parsed.success) return void log.warn('compareAgain ignored: bad payload');
    const period = requestedPeriod(parsed.data, tz);
    s.extras.push({ ...period, dueMs: period.toMs });
    wakeups++;
  });

  setHandler(endRunSignal, () => {
    s.ended = true;
  });

  const status = (): ParallelRunStatus => ({
    programId,
    scope: s.scope,
    ended: s.ended,
    nextComparisonAt: s.ended ? null : new Date(comparisonAt(settings, tz, s.next)).toISOString(),
    nightsCompared: latestNights(s.history).length,
    missed: Object.entries(
      outstandingNights(s.history).reduce<Record<string, string[]>>(
        (acc, o) => ({ ...acc, [o.businessDay]: [...(acc[o.businessDay] ?? []), o.domain] }),
        {},
      ),
    ).map(([businessDay, domains]) => ({ businessDay, domains })),
    extendedUntil: s.extendedUntilMs === null ? null : new Date(s.extendedUntilMs).toISOString(),
    endsNoEarlierThan: new Date(minimumEndMs(settings, lastWaveLiveAtMs(), s.extendedUntilMs)).toISOString(),
    cleanStreak: cleanStreaks(s.history, domainNames),
    trend: trendSummary(s.history, domainNames),
    lastNight: s.history.at(-1) ?? null,
    notDelivered: s.notDelivered,
    incidentsNotRaised: s.incidentsNotRaised,
  });
  setHandler(parallelRunStatusQuery, status);
  setHandler(parallelRunNightsQuery, () => ({ domains: domainNames, nights: latestNights(s.history) }));

  // ---------------------------------------------------------------- one comparison batch

  const compareOne = async ({ period, domain }: Job, dueAtMs: number): Promise<DomainResult> => {
    try {
      const r = await compareNight({
        programId,
        domain,
        businessDay: period.businessDay,
        window: { from: new Date(period.fromMs).toISOString(), to: new Date(period.toMs).toISOString() },
        departments: departmentsIn(s.scope, period.fromMs),
        settleMs: durationMs(settings.settle),
        scheduledAtMs: dueAtMs,
      });
      return {
        domain: domain.name,
        status: nightStatus(domain.thresholds, r),
        runId: r.runId,
        rowsLegacy: r.rowsLegacy,
        rowsNew: r.rowsNew,
        differingKeys: r.differingKeys,
        mismatchRate: r.mismatchRate,
        ...(r.outcomes ? { outcomes: r.outcomes } : {}),
      };
    } catch (err) {
      if (isCancellation(err)) throw err;
      log.warn('comparison could not run', { domain: domain.name, businessDay: period.businessDay });
      return { domain: domain.name, status: 'failed', runId: null, rowsLegacy: 0, rowsNew: 0, differingKeys: 0, mismatchRate: 0 };
    }
  };

  const raise = async (
    condition: 'comparison-critical' | 'comparison-not-run',
    severity: ReturnType<typeof incidentSeverity>,
    counts: Record<string, number>,
    domains: string[],
  ) => {
    try {
      await raiseComparisonIncident({ raiseId: uuid4(), programId, condition, severity, counts, domains, raisedBy: selfId });
    } catch (err) {
      if (isCancellation(err)) throw err;
      s.incidentsNotRaised++;
    }
  };

  const notify = async (summary: NightSummary) => {
    if (!input.programWorkflowId) return;
    try {
      const { delivered } = await notifyProgram({ programWorkflowId: input.programWorkflowId, summary });
      if (!delivered) s.notDelivered++;
    } catch (err) {
      if (isCancellation(err)) throw err;
      s.notDelivered++;
    }
  };

  /** Compares the jobs (within maxParallelDomains), records one summary per night, raises incidents, tells the program. */
  const runBatch = async (jobs: Job[], dueAtMs: number) => {
    const startedAtMs = Date.now();
    const results = await limited(jobs, settings.maxParallelDomains, (job) => compareOne(job, dueAtMs));
    const summaries: NightSummary[] = [];
    const byNight = new Map<string, { job: Job; results: DomainResult[] }>();
    jobs.forEach((job, i) => {
      const key = `${job.kind}/${job.period.businessDay}`;
      const group = byNight.get(key) ?? { job, results: [] };
      group.results.push(results[i]!);
      byNight.set(key, group);
    });
    const policyOf = new Map(settings.domains.map((d) => [d.name, d.onCritical]));
    for (const { job, results: perDomain } of byNight.values()) {
      const partial: NightSummary = {
        businessDay: job.period.businessDay,
        window: { from: new Date(job.period.fromMs).toISOString(), to: new Date(job.period.toMs).toISOString() },
        kind: job.kind,
        comparedAt: new Date(startedAtMs).toISOString(),
        perDomain,
        cleanStreak: {},
        criticalDomains: perDomain
          .filter((r) => r.status === 'critical')
          .map((r) => ({ domain: r.domain, onCritical: policyOf.get(r.domain) ?? 'incident-only' })),
      };
      s.history.push(partial);
      partial.cleanStreak = cleanStreaks(s.history, domainNames);
      summaries.push(partial);
    }

    const all = summaries.flatMap((x) => x.perDomain.map((r) => ({ night: x.businessDay, r })));
    const critical = all.filter(({ r }) => r.status === 'critical');
    const failed = all.filter(({ r }) => r.status === 'failed');
    const nights = (xs: typeof all) => new Set(xs.map((x) => x.night)).size;
    const domainsOf = (xs: typeof all) => [...new Set(xs.map((x) => x.r.domain))].sort();
    const domains = (xs: typeof all) => domainsOf(xs).length;
    if (critical.length) {
      const policies = critical.map(({ r }) => policyOf.get(r.domain) ?? 'incident-only');
      await raise(
        'comparison-critical',
        incidentSeverity('comparison-critical', policies),
        {
          domains: domains(critical),
          nights: nights(critical),
          differences: critical.reduce((n, { r }) => n + r.differingKeys, 0),
        },
        domainsOf(critical),
      );
    }
    if (failed.length)
      await raise(
        'comparison-not-run',
        incidentSeverity('comparison-not-run'),
        { domains: domains(failed), nights: nights(failed) },
        domainsOf(failed),
      );
    for (const summary of summaries) await notify(summary);
  };

  /** Tonight's jobs: every night still missed (only its failed domains), then the night that just ended. */
  const nightlyJobs = (): Job[] => {
    const domainByName = new Map(settings.domains.map((d) => [d.name, d]));
    const nights = new Map(latestNights(s.history).map((n) => [n.businessDay, n]));
    const missed = outstandingNights(s.history).flatMap(({ businessDay, domain }) => {
      const n = nights.get(businessDay)!;
      const d = domainByName.get(domain);
      return d ? [{ period: { businessDay, fromMs: n.fromMs, toMs: n.toMs }, kind: 'missed' as const, domain: d }] : [];
    });
    return [...missed, ...settings.domains.map((domain) => ({ period: s.next, kind: 'nightly' as const, domain }))];
  };

  /**
   * A program terminated or cancelled never says endRun: before each comparison the run asks
   * Temporal how the program stands, and ends (audited) once it is closed for good. Patched:
   * runs recorded before asked nothing.
   */
  const programClosed = async (): Promise<boolean> => {
    if (!input.programWorkflowId || !patched('parallel-run-ends-with-program')) return false;
    let status: string;
    try {
      ({ status } = await programRunStatus({ programWorkflowId: input.programWorkflowId }));
    } catch (err) {
      if (isCancellation(err)) throw err;
      return false;
    }
    if (!programGone.has(status)) return false;
    s.ended = true;
    await recordAudit({
      eventKey: `${selfId}:ended:program-${status}`,
      actor: 'workflow:parallel-run',
      action: 'parallel-run.ended',
      target: { workflowId: selfId, programId, programWorkflowId: input.programWorkflowId },
      result: `program-${status}`,
      reason: `the program workflow is ${status}; no end signal will come`,
      details: { nightsCompared: latestNights(s.history).length },
    });
    return true;
  };

  // ---------------------------------------------------------------- main loop

  upsertSearchAttributes([{ key: GoliveProgram, value: programId }]);
  let nightsThisRun = 0;
  while (!s.ended) {
    const dueAt = comparisonAt(settings, tz, s.next);
    const wakeAt = Math.min(dueAt, ...s.extras.map((e) => e.dueMs));
    const seen = wakeups;
    if (Date.now() < wakeAt)
      await condition(() => s.ended || wakeups !== seen || workflowInfo().continueAsNewSuggested, wakeAt - Date.now());
    if (s.ended) break;

    if ((Date.now() >= dueAt || s.extras.some((e) => e.dueMs <= Date.now())) && (await programClosed())) break;
    if (Date.now() >= dueAt) {
      await runBatch(nightlyJobs(), dueAt);
      s.next = periodAfter(settings, tz, s.next);
      nightsThisRun++;
    }
    const now = Date.now();
    const due = s.extras.filter((e) => e.dueMs <= now);
    if (due.length) {
      s.extras = s.extras.filter((e) => e.dueMs > now);
      for (const e of due)
        await runBatch(
          settings.domains.map((domain) => ({ period: e, kind: 'extra' as const, domain })),
          now,
        );
    }

    if (!s.ended && (workflowInfo().continueAsNewSuggested || nightsThisRun >= NIGHTS_PER_RUN)) {
      await condition(allHandlersFinished);
      return continueAsNew<typeof parallelRunWorkflow>({ ...input, state: s });
    }
  }
  await condition(allHandlersFinished);
  return status();
}
