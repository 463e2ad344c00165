/**
 * Runbook runs: a lead starts the night (or a rehearsal of it) from a runbook, everyone reads its
 * timeline, owners check tasks off. Spreadsheets come in and go out as CSV.
 */
import { WorkflowNotFoundError } from '@temporalio/client';
import { z } from 'zod';
import { runbookFromCsv, runbookToCsv } from '../../app/runbook-csv';
import { earlierRuns, finishedRun, startRunbookRun } from '../../app/runbook-runs';
import { approveProposedDurations, getRunbook, listRunbooks, putRunbook } from '../../app/runbooks';
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
import { intParam, route, type AnyRoute, type RequestContext } from '../route';
import { runUpdate, UpdatePending, updateReply, type UpdateOutcome } from '../temporal-calls';

const { everyone, leads } = roleGroups;
const RunParams = ProgramParams.extend({ runId: Code });
const TaskParams = RunParams.extend({ taskId: Code });

const RunbookParams = ProgramParams.extend({ runbookId: Code });

const StartBody = z.strictObject({
  runId: Code,
  mode: RunMode,
  /** The runbook itself, or `runbookId`: the program's stored runbook at its latest version. */
  runbook: Runbook.optional(),
  runbookId: Code.optional(),
  /** The hospital-local date the window opens on (default: today there). */
  startDate: z.iso.date().optional(),
  /** Rehearsals: run the night this many times faster (1: real time). */
  // Up to 120: a 5 h 30 night rehearsed in under 3 minutes (a tabletop walk-through, the demo).
  speed: z.number().int().min(1).max(120).optional(),
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

/** A runbook from a spreadsheet, or a 400 with every problem by row and column. */
function csvRunbook(body: z.infer<typeof RunbookSettings> & { csv: string }): Runbook {
  const { csv, ...settings } = body;
  const r = runbookFromCsv(csv, settings);
  if (r.ok) return r.runbook;
  throw new ValidationError(
    r.issues.map((i) => ({ path: `body.csv.row${i.row}${i.column ? `.${i.column}` : ''}`, message: i.message, rule: i.rule })),
  );
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
    const { runbook: inline, runbookId, ...rest } = body;
    if (body.runId.startsWith('live-'))
      throw new ValidationError([
        { path: 'body.runId', rule: 'reserved-run-id', message: "must not start with live-: the program names its departments' nights so" },
      ]);
    if (!inline === !runbookId)
      throw new ValidationError([
        { path: 'body.runbook', rule: 'runbook-or-runbook-id', message: 'give either the runbook or the runbookId of a stored one' },
      ]);
    let runbook = inline;
    let runbookVersion: number | undefined;
    if (runbookId) {
      const stored = await getRunbook(ctx.deps.pool, params.programId, runbookId);
      if (!stored) {
        await programExists(ctx.deps.pool, params.programId);
        throw new HttpError(404, 'not_found', `no stored runbook ${runbookId} in program ${params.programId}`);
      }
      runbook = stored.runbook;
      runbookVersion = stored.version;
    }
    const outcome = await startRunbookRun(
      { pool: ctx.deps.pool, temporal: ctx.deps.temporal, taskQueue: ctx.deps.config.TEMPORAL_TASK_QUEUE },
      { programId: params.programId, ...rest, runbook: runbook!, runbookVersion },
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
    return { status: 200, body: csvRunbook(body) };
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

export const putRunbookRoute = route({
  method: 'put',
  path: '/v1/programs/{programId}/runbooks/{runbookId}',
  summary: "Store a program's runbook: a new version when it differs from the latest (audited), the same version when it does not",
  tags: ['runbooks'],
  roles: leads,
  params: RunbookParams,
  body: Runbook,
  responses: {
    200: { description: 'Unchanged: the latest version is this runbook' },
    201: { description: 'Stored as a new version' },
    400: { description: 'A graph rule broken, or the id differs from the path' },
    404: { description: 'No such program' },
  },
  async handle({ params, body, ctx }) {
    if (body.id !== params.runbookId)
      throw new ValidationError([
        { path: 'body.id', rule: 'id-matches-path', message: `must be ${params.runbookId}, the runbook of the path` },
      ]);
    await programExists(ctx.deps.pool, params.programId);
    const out = await putRunbook(ctx.deps.pool, { programId: params.programId, runbook: body, by: ctx.principal!.personId, source: 'put' });
    return { status: out.created ? 201 : 200, body: out.stored };
  },
});

export const getRunbookRoute = route({
  method: 'get',
  path: '/v1/programs/{programId}/runbooks/{runbookId}',
  etag: true,
  summary: 'A stored runbook at its latest version (or `version`), with who stored it, when and why (put, csv, approved durations)',
  tags: ['runbooks'],
  roles: everyone,
  params: RunbookParams,
  query: z.strictObject({ version: intParam().optional() }),
  responses: { 200: { description: 'The runbook' }, 404: { description: 'No such runbook or version' } },
  async handle({ params, query, ctx }) {
    const stored = await getRunbook(ctx.deps.pool, params.programId, params.runbookId, query.version);
    if (!stored) {
      await programExists(ctx.deps.pool, params.programId);
      throw new HttpError(404, 'not_found', `no runbook ${params.runbookId}${query.version ? ` version ${query.version}` : ''}`);
    }
    return { status: 200, body: stored };
  },
});

export const listRunbooksRoute = route({
  method: 'get',
  path: '/v1/programs/{programId}/runbooks',
  etag: true,
  summary: "The program's runbooks at their latest versions (ids, titles, windows, task counts)",
  tags: ['runbooks'],
  roles: everyone,
  params: ProgramParams,
  responses: { 200: { description: 'The runbooks' }, 404: { description: 'No such program' } },
  async handle({ params, ctx }) {
    await programExists(ctx.deps.pool, params.programId);
    return { status: 200, body: { runbooks: await listRunbooks(ctx.deps.pool, params.programId) } };
  },
});

export const importStoredCsvRoute = route({
  method: 'post',
  path: '/v1/programs/{programId}/runbooks/csv',
  summary:
    "Store a runbook from a spreadsheet (CSV, one task per row) as the program's runbook: a new version, or every problem by row and column",
  tags: ['runbooks'],
  roles: leads,
  params: ProgramParams,
  body: RunbookSettings.extend({ csv: z.string().min(1).max(1_000_000) }),
  responses: {
    200: { description: 'Unchanged: the latest version is this runbook' },
    201: { description: 'Stored as a new version' },
    400: { description: 'Problems by row (the header is row 1) and column' },
    404: { description: 'No such program' },
  },
  async handle({ params, body, ctx }) {
    const runbook = csvRunbook(body);
    await programExists(ctx.deps.pool, params.programId);
    const out = await putRunbook(ctx.deps.pool, { programId: params.programId, runbook, by: ctx.principal!.personId, source: 'csv' });
    return { status: out.created ? 201 : 200, body: out.stored };
  },
});

export const approveDurationsRoute = route({
  method: 'post',
  path: '/v1/programs/{programId}/runbooks/{runbookId}/approved-durations',
  summary:
    "Approve a finished run's proposed durations (all, or the tasks named) into the stored runbook: a new version, audited with who approved them and from which run",
  tags: ['runbooks'],
  roles: leads,
  params: RunbookParams,
  body: z.strictObject({ runId: Code, tasks: z.array(Code).min(1).max(2000).optional(), comment: z.string().max(500).optional() }),
  responses: {
    201: { description: 'The new version, and each duration approved (from, to)' },
    400: { description: 'A task named has no proposed duration in the report' },
    404: { description: 'No such runbook or run' },
    409: { description: 'The run has not finished, ran another runbook, or proposes nothing new' },
  },
  async handle({ params, body, ctx }) {
    const run = await runOf(ctx, params.programId, body.runId);
    if (run.status !== 'finished')
      throw new HttpError(409, 'run_not_finished', `runbook run ${body.runId} has not finished: its report is not final`);
    const out = await approveProposedDurations(ctx.deps.pool, {
      programId: params.programId,
      runbookId: params.runbookId,
      run,
      earlier: await earlierRuns(ctx.deps.pool, params.programId, run.runbookId, run.startMs),
      tasks: body.tasks,
      by: ctx.principal!.personId,
    });
    if (out.ok) return { status: 201, body: { ...out.stored, approved: out.approved } };
    if (out.reason === 'unknown-tasks')
      throw new ValidationError(
        out.tasks.map((t) => ({
          path: 'body.tasks',
          rule: 'has-proposal',
          message: `the report of ${body.runId} proposes no duration for ${t}`,
        })),
      );
    if (out.reason === 'no-runbook') throw new HttpError(404, 'not_found', out.message);
    throw new HttpError(409, out.reason === 'other-runbook' ? 'other_runbook' : 'nothing_proposed', out.message);
  },
});

export const runbookRoutes: AnyRoute[] = [
  startRunRoute,
  getRunRoute,
  checkOffRoute,
  importCsvRoute,
  exportCsvRoute,
  reportRoute,
  putRunbookRoute,
  getRunbookRoute,
  listRunbooksRoute,
  importStoredCsvRoute,
  approveDurationsRoute,
];
