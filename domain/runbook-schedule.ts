/**
 * The night's schedule, recomputed from what has happened so far: each task's planned times (the
 * plan as written, from the window's start), its forecast (actual times where known, "now" for
 * what is still running or waiting), the slack before it moves the end, the critical path and the
 * forecast end against the window. Pure: the workflow and the command center both call it.
 */
import { localDateTimeToMs } from './rules/time';
import { endTask, topologicalOrder, type Runbook, type RunbookTask } from './runbook';

const MINUTE = 60_000;
/** How long after its predecessor a task may become ready and still count as held by it (the run's own latency). */
const settleMs = MINUTE;

export interface TaskProgress {
  /** When all its predecessors were done (and its fixed time had come): its actual start. */
  readyAtMs?: number;
  doneAtMs?: number;
}

export interface ScheduleInput {
  runbook: Pick<Runbook, 'tasks' | 'window' | 'lateAfterMinutes'>;
  /** The instant the window opens. */
  startMs: number;
  /** Per task with a fixed time: the instant it may start (see notBeforeInstants). */
  notBefore: Record<string, number>;
  progress: Record<string, TaskProgress>;
  nowMs: number;
  /** Rehearsals may run compressed: every duration divided by this (1: real time). */
  speed?: number;
}

export interface TaskTimes {
  id: string;
  plannedStartMs: number;
  plannedFinishMs: number;
  forecastStartMs: number;
  forecastFinishMs: number;
  /** How much later than its forecast it could finish without moving the end. */
  slackMs: number;
  critical: boolean;
  /** Minutes beyond its planned duration that a started task has run (0 when not over). */
  overrunMinutes: number;
}

export interface Schedule {
  tasks: TaskTimes[];
  criticalPath: string[];
  plannedEndMs: number;
  forecastEndMs: number;
  windowEndMs: number;
  /** Forecast end minus the window's end: positive when the night will not fit. */
  minutesOverWindow: number;
}

/** A task's duration on this run's clock. */
export const durationMs = (t: Pick<RunbookTask, 'plannedMinutes'>, speed = 1) => Math.round((t.plannedMinutes * MINUTE) / speed);

/**
 * The instants of the fixed-time tasks for a night that starts at `startMs`: `day` nights after the
 * start's hospital-local date at `time`, resolved in the hospital's zone (a time a DST change skips
 * is the instant of the jump, one that occurs twice its first occurrence: rules/time.ts). On a
 * compressed rehearsal the distance from the start shrinks with the speed.
 */
export function notBeforeInstants(
  rb: Pick<Runbook, 'tasks'>,
  startMs: number,
  timeZone: string,
  startDate: string,
  speed = 1,
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const t of rb.tasks) {
    if (!t.notBefore) continue;
    const day = new Date(Date.parse(`${startDate}T00:00:00Z`) + t.notBefore.day * 86_400_000).toISOString().slice(0, 10);
    const at = localDateTimeToMs(`${day}T${t.notBefore.time}`, timeZone);
    out[t.id] = startMs + Math.max(0, Math.round((at - startMs) / speed));
  }
  return out;
}

/** Forward pass: each task's start and finish given what is known by `nowMs` (null: the plan as written). */
function forward(input: ScheduleInput, order: string[], byId: Map<string, RunbookTask>, known: boolean) {
  const start = new Map<string, number>();
  const finish = new Map<string, number>();
  const now = known ? input.nowMs : input.startMs;
  for (const id of order) {
    const t = byId.get(id)!;
    const dur = durationMs(t, input.speed);
    const p = known ? input.progress[id] : undefined;
    if (p?.doneAtMs !== undefined) {
      start.set(id, p.readyAtMs ?? p.doneAtMs);
      finish.set(id, p.doneAtMs);
    } else if (p?.readyAtMs !== undefined) {
      start.set(id, p.readyAtMs);
      finish.set(id, Math.max(now, p.readyAtMs + dur));
    } else {
      const s = Math.max(now, input.startMs, input.notBefore[id] ?? 0, ...t.predecessors.map((q) => finish.get(q)!));
      start.set(id, s);
      finish.set(id, s + dur);
    }
  }
  return { start, finish };
}

export function schedule(input: ScheduleInput): Schedule {
  const { tasks } = input.runbook;
  const byId = new Map(tasks.map((t) => [t.id, t]));
  const order = topologicalOrder(tasks);
  const planned = forward(input, order, byId, false);
  const forecast = forward(input, order, byId, true);
  const end = endTask({ tasks });

  // Total slack backwards: the end has none; a task has the least, over what follows it, of the
  // gap before that follower starts plus the follower's own slack.
  const followers = new Map<string, string[]>();
  for (const t of tasks) for (const p of new Set(t.predecessors)) followers.set(p, [...(followers.get(p) ?? []), t.id]);
  const slack = new Map<string, number>([[end, 0]]);
  for (let i = order.length - 1; i >= 0; i--) {
    const id = order[i]!;
    if (id === end) continue;
    const fs = followers.get(id) ?? [];
    slack.set(id, Math.min(...fs.map((f) => forecast.start.get(f)! - forecast.finish.get(id)! + slack.get(f)!)));
  }

  const criticalPath: string[] = [];
  // Walk back from the end along the predecessor that finished last, while it is what held the
  // task back. A task is made ready a moment after its last predecessor is checked off (the run's
  // own handling, an e-mail in flight): within `settleMs` a done predecessor still drove it, so
  // done tasks stay on the path the night took. A fixed time or the window's start that came later
  // ends the path there. A predecessor not yet done holds its follower exactly (zero slack), as
  // before: which running tasks are critical, and so escalated, does not change.
  for (let id: string | undefined = end; id !== undefined;) {
    criticalPath.unshift(id);
    const last: string | undefined = [...byId.get(id)!.predecessors].sort((a, b) => forecast.finish.get(b)! - forecast.finish.get(a)!)[0];
    const held: boolean =
      last !== undefined &&
      forecast.start.get(id)! - forecast.finish.get(last)! <= (input.progress[last]?.doneAtMs !== undefined ? settleMs : 0);
    id = held ? last : undefined;
  }
  const onPath = new Set(criticalPath);

  const windowEndMs = input.startMs + Math.round((input.runbook.window.minutes * MINUTE) / (input.speed ?? 1));
  const forecastEndMs = forecast.finish.get(end)!;
  return {
    tasks: tasks.map((t) => {
      const p = input.progress[t.id];
      const running = p?.readyAtMs !== undefined && p.doneAtMs === undefined;
      const over = running ? input.nowMs - (p.readyAtMs! + durationMs(t, input.speed)) : 0;
      return {
        id: t.id,
        plannedStartMs: planned.start.get(t.id)!,
        plannedFinishMs: planned.finish.get(t.id)!,
        forecastStartMs: forecast.start.get(t.id)!,
        forecastFinishMs: forecast.finish.get(t.id)!,
        slackMs: slack.get(t.id)!,
        critical: onPath.has(t.id),
        overrunMinutes: Math.max(0, Math.floor((over * (input.speed ?? 1)) / MINUTE)),
      };
    }),
    criticalPath,
    plannedEndMs: planned.finish.get(end)!,
    forecastEndMs,
    windowEndMs,
    minutesOverWindow: Math.round(((forecastEndMs - windowEndMs) * (input.speed ?? 1)) / MINUTE),
  };
}

/**
 * Tasks to escalate now: started, on the critical path, and over their planned duration by more
 * than the runbook's `lateAfterMinutes` (in real minutes, also on a compressed rehearsal).
 */
export function lateCriticalTasks(s: Schedule, lateAfterMinutes: number): TaskTimes[] {
  return s.tasks.filter((t) => t.critical && t.overrunMinutes >= lateAfterMinutes);
}
