/**
 * The runbook runs a page can open: a program's runs (running and finished), and the tasks that
 * wait for the signed-in person across every running run ("my tasks").
 */
import { finishedRuns, runningRuns } from '../../app/runbook-lists';
import { tasksWaitingFor, type MyTask } from '../../domain/my-tasks';
import { roleGroups } from '../../domain/permissions';
import { ProgramParams } from '../../domain/program-contract';
import { apiTemporalDeadlines } from '../../platform/temporal';
import type { RequestContext } from '../route';
import { programExists, readLive } from '../programs';
import { route } from '../route';
import { runOf } from './runbooks';

const { everyone } = roleGroups;

/**
 * Every running run, listed once for all readers within the live-read bound (as a run's state
 * is): on the night every "my tasks" page polls, and Temporal's visibility is not for that rate.
 */
const allRunning = (ctx: RequestContext) =>
  readLive(ctx.deps, 'runbook:*', 'runningRuns', () => runningRuns(ctx.deps.temporal, apiTemporalDeadlines.callMs));

export const listRunsRoute = route({
  method: 'get',
  path: '/v1/programs/{programId}/runbook-runs',
  etag: true,
  summary: "A program's runbook runs: the running ones (with their forecast against the window) and the finished ones, newest first",
  tags: ['runbooks'],
  roles: everyone,
  params: ProgramParams,
  responses: { 200: { description: 'The runs' }, 404: { description: 'No such program' } },
  async handle({ params, ctx }) {
    await programExists(ctx.deps.pool, params.programId);
    const [running, finished] = await Promise.all([
      allRunning(ctx).then((runs) => runs.filter((r) => r.programId === params.programId)),
      finishedRuns(ctx.deps.pool, params.programId),
    ]);
    const done = new Set(finished.map((f) => f.runId));
    const live = await Promise.all(running.filter((r) => !done.has(r.runId)).map((r) => runOf(ctx, r.programId, r.runId)));
    const runs = [
      ...live.map((v) => ({
        runId: v.runId,
        mode: v.mode,
        status: v.status,
        startMs: v.startMs,
        minutesOverWindow: v.schedule.minutesOverWindow,
      })),
      ...finished.map((f) => ({ ...f, status: 'finished' as const })),
    ].sort((a, b) => b.startMs - a.startMs);
    return { status: 200, body: { programId: params.programId, runs } };
  },
});

export const myTasksRoute = route({
  method: 'get',
  path: '/v1/runbook-tasks/mine',
  etag: true,
  summary: "The signed-in person's tasks across every running runbook run: ready, theirs, and not yet signed by them",
  tags: ['runbooks'],
  roles: everyone,
  responses: { 200: { description: 'The tasks, the most urgent first' } },
  async handle({ ctx }) {
    const running = await allRunning(ctx);
    const views = await Promise.all(running.map((r) => runOf(ctx, r.programId, r.runId).catch(() => undefined)));
    const tasks: MyTask[] = views
      .flatMap((v) => (v && v.status === 'running' ? tasksWaitingFor(v, ctx.principal!.personId) : []))
      .sort((a, b) => a.dueMs - b.dueMs);
    return { status: 200, body: { personId: ctx.principal!.personId, tasks } };
  },
});

export const runbookListRoutes = [listRunsRoute, myTasksRoute];
