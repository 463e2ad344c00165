/**
 * Runbook runs: a lead starts the night (or a rehearsal of it) from a runbook, everyone reads its
 * timeline, owners check tasks off. Spreadsheets come in and go out as CSV.
 */
import { WorkflowNotFoundError } from '@temporalio/client';
import { z } from 'zod';
import { runbookFromCsv, runbookToCsv } from '../../app/runbook-csv';
import { earlierRuns, finishedRun, startRunbookRun } from '../../app/runbook-runs';
import { runbookReport } from '../../domain/runbook-report';
import { Code } from '../../domain/escalation';
import { workflowIds } from '../../domain/ids';
import { actorOf, PersonId, type Actor } from '../../domain/people';
import { roleGroups } from '../../domain/permissions';
import { ProgramParams } from '../../domain/program-contract';
import { CheckOffInput, checkOffUpdate, runbookRunQuery, type RunbookRunView, type TaskState } from '../../domain/runbook-run';
import { Runbook, RunbookSettings, RunMode } from '../../domain/runbook';
import { HttpError, ValidationError } from '../errors';
import { programExists, readLive } from '../programs';
import { route, type AnyRoute, type RequestContext } from '../route';
import { runUpdate, UpdatePending, updateReply, type UpdateOutcome } from '../temporal-calls';

const { everyone, leads } = roleGroups;
const RunParams = ProgramParams.extend({ runId: Code });
const TaskParams = RunParams.extend({ taskId: Code });

const StartBody = z.strictObject({
  runId: Code,
  mode: RunMode,
  runbook: Runbook,
  /** The hospital-local date the window opens on (default: today there). */
  startDate: z.iso.date().optional(),
  /** Rehearsals: run the night this many times faster (1: real time). */
  speed: z.number().int().min(1).max(60).optional(),
  rehearsalRecipients: z.array(PersonId).max(50).optional(),
});

export function runOf(ctx: RequestContext, programId: string, runId: string): Promise<RunbookRunView> {
  const workflowId = workflowIds.runbookRun(programId, runId);
  return readLive(ctx.deps, workflowId, runbookRunQuery.name, async () => {
    await programExists(ctx.deps.pool, programId);
    const finished = await finishedRun(ctx.deps.pool, programId, runId);
    if (finished) return finished;
    try {
      return await ctx.deps.temporal.workflow.getHandle(workflowId).query(runbookRunQuery);
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw new HttpError(404, 'not_found', `no runbook run ${runId} in program ${programId}`);
      throw err;
    }
  });
}

export const startRunRoute = route({
  method: 'post',
  path: '/v1/programs/{programId}/runbook-runs',
  summary:
    'Start a runbook run: the night itself, or a rehearsal (adapters dry-run, e-mails to its own list only); the same run id again is the same run',
  tags: ['runbooks'],
  roles: leads,
  params: ProgramParams,
  body: StartBody,
  responses: {
    201: { description: 'Started, or already running under this id' },
    400: { description: 'The runbook does not fit the plan (a step, a rota) or breaks a graph rule' },
    404: { description: 'No such program' },
    409: { description: 'A run under this id has finished: a new run needs a new id' },
  },
  async handle({ params, body, ctx }) {
    const outcome = await startRunbookRun(
      { pool: ctx.deps.pool, temporal: ctx.deps.temporal, taskQueue: ctx.deps.config.TEMPORAL_TASK_QUEUE },
      { programId: params.programId, ...body },
    );
    if (outcome.ok) {
      ctx.deps.reads?.invalidate(outcome.workflowId);
      return { status: 201, body: { programId: params.programId, runId: body.runId, workflowId: outcome.workflowId } };
    }
    if (outcome.reason === 'no-program') throw new HttpError(404, 'not_found', `no program ${params.programId}`);
    if (outcome.reason === 'finished')
      throw new HttpError(409, 'run_finished', `runbook run ${body.runId} has finished; a new run needs a new runId`, {
        runId: body.runId,
      });
    throw new ValidationError(outcome.issues.map((i) => ({ ...i, path: `body.${i.path}` })));
  },
});

export const getRunRoute = route({
  method: 'get',
  path: '/v1/programs/{programId}/runbook-runs/{runId}',
  etag: true,
  summary: "A run's tasks with planned, forecast and actual times, the critical path, the forecast end against the window, escalations",
  tags: ['runbooks'],
  roles: everyone,
  params: RunParams,
  responses: { 200: { description: 'The run' }, 404: { description: 'No such run' } },
  async handle({ params, ctx }) {
    return { status: 200, body: await runOf(ctx, params.programId, params.runId) };
  },
});

export const checkOffRoute = route({
  method: 'post',
  path: '/v1/programs/{programId}/runbook-runs/{runId}/tasks/{taskId}/check-offs',
  summary:
    "Check a task off (its owner, or a lead). Scribe mode: a lead back-enters a paper check-off (channel paper) naming whose signature the paper carries, its time, and for a two-person task the second signer; it is marked transcribed and the run keeps the paper's time",
  tags: ['runbooks'],
  roles: everyone,
  keyedByIdempotencyKey: true,
  params: TaskParams,
  body: CheckOffInput.omit({ actor: true, task: true }).extend({ channel: CheckOffInput.shape.channel.default('command-center') }),
  responses: {
    200: { description: 'The task after the check-off' },
    202: { description: 'Accepted, not yet applied', schema: UpdatePending },
    403: { description: 'Not an owner of the task' },
    404: { description: 'No such run or task' },
    409: {
      description:
        'Not ready (a paper entry names the predecessors to enter first), done already, the same person twice, a paper time later than now',
    },
  },
  async handle({ params, body, ctx }) {
    return updateReply(await checkOffTask(ctx, params, body, actorOf(ctx.principal!)));
  },
});

/**
 * A check-off through the run's Update, as `actor`: the command center's route and the e-mail
 * link's (api/routes/check-links.ts) both come here, so the workflow's rules and audit are one.
 */
export async function checkOffTask(
  ctx: RequestContext,
  at: { programId: string; runId: string; taskId: string },
  body: Omit<CheckOffInput, 'actor' | 'task'>,
  actor: Actor,
): Promise<UpdateOutcome<TaskState>> {
  await runOf(ctx, at.programId, at.runId);
  const workflowId = workflowIds.runbookRun(at.programId, at.runId);
  const outcome = await runUpdate(ctx, ctx.deps.temporal.workflow.getHandle(workflowId), checkOffUpdate, {
    ...body,
    actor,
    task: at.taskId,
  }).catch((err: unknown) => {
    if (err instanceof WorkflowNotFoundError) throw new HttpError(409, 'run_finished', `runbook run ${at.runId} has finished`);
    throw err;
  });
  ctx.deps.reads?.invalidate(workflowId);
  return outcome;
}

export const importCsvRoute = route({
  method: 'post',
  path: '/v1/runbooks/csv',
  summary: 'Read a runbook from a spreadsheet (CSV, one task per row): the runbook as JSON, or every problem by row and column',
  tags: ['runbooks'],
  roles: leads,
  body: RunbookSettings.extend({ csv: z.string().min(1).max(1_000_000) }),
  responses: { 200: { description: 'The runbook' }, 400: { description: 'Problems by row (the header is row 1) and column' } },
  async handle({ body, ctx: _ }) {
    const { csv, ...settings } = body;
    const r = runbookFromCsv(csv, settings);
    if (r.ok) return { status: 200, body: r.runbook };
    throw new ValidationError(
      r.issues.map((i) => ({ path: `body.csv.row${i.row}${i.column ? `.${i.column}` : ''}`, message: i.message, rule: i.rule })),
    );
  },
});

export const exportCsvRoute = route({
  method: 'get',
  path: '/v1/programs/{programId}/runbook-runs/{runId}/runbook.csv',
  summary: "A run's runbook as CSV, to re-time in a spreadsheet",
  tags: ['runbooks'],
  roles: everyone,
  params: RunParams,
  responses: { 200: { description: 'CSV', contentType: 'text/csv' }, 404: { description: 'No such run' } },
  async handle({ params, ctx }) {
    const run = await runOf(ctx, params.programId, params.runId);
    ctx.res
      .status(200)
      .set({
        'Content-Type': 'text/csv; charset=utf-8',
        'Content-Disposition': `attachment; filename="runbook-${params.programId}-${params.runId}.csv"`,
        'Cache-Control': 'no-store',
      })
      .send(runbookToCsv(run));
    return { status: 200 };
  },
});

export const reportRoute = route({
  method: 'get',
  path: '/v1/programs/{programId}/runbook-runs/{runId}/report',
  etag: true,
  summary:
    "The rehearsal report: each task's planned vs actual minutes against the earlier runs of the same runbook (median, 90th percentile), the end's drift, proposed durations",
  tags: ['runbooks'],
  roles: everyone,
  params: RunParams,
  responses: { 200: { description: 'The report (real minutes, also of a compressed rehearsal)' }, 404: { description: 'No such run' } },
  async handle({ params, ctx }) {
    const run = await runOf(ctx, params.programId, params.runId);
    return { status: 200, body: runbookReport(run, await earlierRuns(ctx.deps.pool, params.programId, run.runbookId, run.startMs)) };
  },
});

export const runbookRoutes: AnyRoute[] = [startRunRoute, getRunRoute, checkOffRoute, importCsvRoute, exportCsvRoute, reportRoute];
