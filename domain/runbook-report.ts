/**
 * The rehearsal report: how long each task really took against its plan and against the earlier
 * runs of the same runbook, how far the night's end drifted, and the durations a lead may approve
 * into the plan. Pure: it reads finished runs' views (on a compressed rehearsal, real minutes).
 */
import type { RunbookRunView, RunSummary } from './runbook-run';

export type { RunSummary } from './runbook-run';

const MINUTE = 60_000;

export interface TaskReport {
  id: string;
  plannedMinutes: number;
  /** This run's real minutes from ready to done (null: not done). */
  actualMinutes: number | null;
  /** Over this run and the earlier ones that finished the task. */
  runs: number;
  medianMinutes: number | null;
  p90Minutes: number | null;
  /** The 90th percentile rounded up to 5 minutes, where the percentile is 5 or more minutes off the plan. */
  proposedMinutes: number | null;
  onCriticalPath: boolean;
}

export interface RunbookReport {
  runId: string;
  mode: RunbookRunView['mode'];
  /** Real minutes per run minute: 1 on a real-time run. */
  speed: number;
  compressed: boolean;
  plannedMinutes: number;
  actualMinutes: number;
  /** Actual end minus planned end, in real minutes (positive: late). */
  driftMinutes: number;
  /** Did the night fit its window? */
  fittedWindow: boolean;
  tasks: TaskReport[];
  earlierRuns: string[];
}

/** The q-quantile by nearest rank (q = 0.5 median, 0.9 p90) of values already sorted. */
function quantile(sorted: number[], q: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
}

const realMinutes = (run: RunbookRunView, ms: number) => Math.round((ms * run.speed) / MINUTE);

function taskMinutes(run: RunbookRunView, id: string): number | null {
  const t = run.tasks.find((x) => x.id === id);
  if (t?.readyAtMs === undefined || t.doneAtMs === undefined) return null;
  return realMinutes(run, t.doneAtMs - t.readyAtMs);
}

export function runbookReport(run: RunbookRunView, earlier: RunbookRunView[]): RunbookReport {
  const critical = new Set(run.schedule.criticalPath);
  const plannedMs = run.schedule.plannedEndMs - run.startMs;
  const actualMs = run.schedule.forecastEndMs - run.startMs;
  return {
    runId: run.runId,
    mode: run.mode,
    speed: run.speed,
    compressed: run.speed > 1,
    plannedMinutes: realMinutes(run, plannedMs),
    actualMinutes: realMinutes(run, actualMs),
    driftMinutes: realMinutes(run, actualMs - plannedMs),
    fittedWindow: run.schedule.minutesOverWindow <= 0,
    earlierRuns: earlier.map((r) => r.runId),
    tasks: run.tasks.map((t) => {
      const all = [run, ...earlier]
        .map((r) => taskMinutes(r, t.id))
        .filter((m): m is number => m !== null)
        .sort((a, b) => a - b);
      const p90 = quantile(all, 0.9);
      const proposal = p90 === null ? null : Math.ceil(p90 / 5) * 5;
      return {
        id: t.id,
        plannedMinutes: t.plannedMinutes,
        actualMinutes: taskMinutes(run, t.id),
        runs: all.length,
        medianMinutes: quantile(all, 0.5),
        p90Minutes: p90,
        proposedMinutes: p90 !== null && Math.abs(p90 - t.plannedMinutes) >= 5 ? proposal : null,
        onCriticalPath: critical.has(t.id),
      };
    }),
  };
}

export function runSummary(run: RunbookRunView): RunSummary {
  return {
    runId: run.runId,
    runbookId: run.runbookId,
    ...(run.runbookVersion !== undefined ? { runbookVersion: run.runbookVersion } : {}),
    mode: run.mode,
    status: run.status,
    startMs: run.startMs,
    minutesOverWindow: run.schedule.minutesOverWindow,
    validationsNotPassed: run.tasks.filter((t) => t.kind === 'validation' && t.result !== 'pass').length,
  };
}

const summaryOf = (r: RunbookRunView | RunSummary): RunSummary => ('tasks' in r ? runSummary(r) : r);

/** Why a run does not count for the readiness criterion (empty: it counts). */
export function rehearsalShortfalls(run: RunbookRunView | RunSummary, nowMs: number, days: number): string[] {
  const r = summaryOf(run);
  const why: string[] = [];
  if (r.mode !== 'rehearsal') why.push('not a rehearsal');
  if (r.status !== 'finished') why.push('not finished');
  if (r.minutesOverWindow > 0) why.push(`${r.minutesOverWindow} minutes over the window`);
  if (nowMs - r.startMs > days * 86_400_000) why.push(`older than ${days} days`);
  if (r.validationsNotPassed > 0) why.push(`${r.validationsNotPassed} validations not passed`);
  return why;
}

/**
 * The readiness criterion "a dress rehearsal within `days` days fitted the window with every
 * validation passed": the runs that satisfy it, newest first.
 */
export function qualifyingRehearsals(runs: (RunbookRunView | RunSummary)[], nowMs: number, days: number): string[] {
  return runs
    .map(summaryOf)
    .filter((r) => rehearsalShortfalls(r, nowMs, days).length === 0)
    .sort((a, b) => b.startMs - a.startMs)
    .map((r) => r.runId);
}
