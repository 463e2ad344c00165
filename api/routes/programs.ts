import { z } from 'zod';
import { roleGroups } from '../../domain/permissions';
import { DepartmentCode, PlanShape, validatePlan } from '../../domain/plan';
import { ProgramParams, programUpdates } from '../../domain/program-contract';
import { GateKey } from '../../domain/rollout';
import { errorCodeOf, ValidationError } from '../errors';
import { createProgram, gateDecisions, listPrograms, programStatus } from '../programs';
import { route, tagged, type AnyRoute } from '../route';
import { emergencyRoutes, migrationRoutes } from './emergencies';
import { programUpdateRoute } from './program-update';

const { everyone, leads } = roleGroups;
const GateParams = ProgramParams.extend({ gate: GateKey });
const DepartmentParams = ProgramParams.extend({ department: DepartmentCode });
const Json = z.record(z.string(), z.unknown());

export const createProgramRoute = route({
  method: 'post',
  path: '/v1/programs',
  summary: 'Load a cutover plan and start its program (idempotent for the same plan)',
  tags: ['programs'],
  roles: leads,
  // The plan schema reports cross-field rules by name; validated in the handler so that the
  // 400 names them all at once (department-in-two-waves, quorum-exceeds-approvers, ...).
  body: Json,
  // The document shows the plan's shape (JSON Schema cannot state its cross-field rules).
  documentedBody: PlanShape,
  responses: {
    201: { description: 'Program started' },
    200: { description: 'The same plan was already running' },
    409: { description: 'The id holds another plan, or its program has finished (a new go-live needs a new programId)' },
  },
  async handle({ body, ctx }) {
    const result = validatePlan(body);
    if (!result.ok) throw new ValidationError(result.issues.map((i) => ({ ...i, path: i.path ? `body.${i.path}` : 'body' })));
    const { created, workflowId } = await createProgram(
      { pool: ctx.deps.pool, temporal: ctx.deps.temporal, taskQueue: ctx.deps.config.TEMPORAL_TASK_QUEUE },
      result.plan,
      ctx.principal!.personId,
    );
    return {
      status: created ? 201 : 200,
      body: { programId: result.plan.programId, workflowId },
      headers: { Location: `/v1/programs/${result.plan.programId}` },
    };
  },
});

export const listProgramsRoute = route({
  method: 'get',
  path: '/v1/programs',
  etag: true,
  summary: 'Programs, newest first',
  tags: ['programs'],
  roles: everyone,
  responses: { 200: { description: 'The programs' } },
  async handle({ ctx }) {
    return { status: 200, body: { programs: await listPrograms(ctx.deps.pool) } };
  },
});

export const programStatusRoute = route({
  method: 'get',
  path: '/v1/programs/{programId}',
  etag: true,
  summary: 'Phase, every department, open gates and what the lead may do now, in one answer',
  tags: ['programs'],
  roles: everyone,
  params: ProgramParams,
  responses: { 200: { description: 'Live state' }, 404: { description: 'No such program' } },
  async handle({ params, ctx }) {
    return { status: 200, body: await programStatus(ctx.deps, params.programId) };
  },
});

export const programStreamRoute = route({
  method: 'get',
  path: '/v1/programs/{programId}/stream',
  summary:
    'The live state as Server-Sent Events: a `status` event with the state (its id the ETag) at once and at each change, a comment every 15 s; one shared poller per program',
  tags: ['programs'],
  roles: everyone,
  params: ProgramParams,
  responses: {
    200: {
      description: 'text/event-stream of `status` events (and `unavailable` while Temporal is down)',
      contentType: 'text/event-stream',
    },
    404: { description: 'No such program' },
  },
  async handle({ params, ctx }) {
    const { deps, req, res } = ctx;
    const load = () => programStatus(deps, params.programId);
    // No such program, or Temporal down: an ordinary 404 or 503 before the stream opens.
    const first = tagged(await load());
    const streams = deps.streams!;
    res.status(200).set({
      'Content-Type': 'text/event-stream; charset=utf-8',
      // Proxies that buffer (nginx) pass events on at once; a page that still gets none falls back to polling (ui/poll.ts).
      'X-Accel-Buffering': 'no',
    });
    res.flushHeaders();
    // A client that stopped reading would have every change queue up in this process: past 1 MB
    // unread it is cut off (its EventSource falls back to polling).
    const write = (text: string) => {
      if (res.writableLength > 1_000_000) res.destroy();
      else res.write(text);
    };
    // A reconnecting EventSource sends the last id it got: no need to send the same state again.
    let sent = req.header('last-event-id');
    const sendState = (state: { text: string; etag: string }) => {
      if (state.etag === sent) return;
      sent = state.etag;
      write(`id: ${state.etag}\nevent: status\ndata: ${state.text}\n\n`);
    };
    sendState(first);
    await new Promise<void>((resolve) => {
      const unsubscribe = streams.subscribe(params.programId, load, (event) => {
        if (event.kind === 'state') sendState(event.state);
        else {
          // Codes only, as in any error answer; the page keeps the last state it has, and gets it
          // again when the program answers (even unchanged: that is how it learns it is back).
          sent = undefined;
          write(`event: unavailable\ndata: ${JSON.stringify({ error: errorCodeOf(event.error) })}\n\n`);
        }
      });
      const keepAlive = setInterval(() => write(': keep-alive\n\n'), streams.keepAliveMs);
      res.once('close', () => {
        clearInterval(keepAlive);
        unsubscribe();
        resolve();
      });
    });
    return { status: 200 };
  },
});

export const recordEvidenceRoute = programUpdateRoute(programUpdates.recordEvidence, {
  path: '/v1/programs/{programId}/evidence',
  summary: 'Record readiness evidence (UAT, training, backup, migration)',
  tags: ['gates'],
  responses: { 200: { description: 'The criteria as they stand now' } },
});

export const requestGateRoute = programUpdateRoute(programUpdates.requestGate, {
  path: '/v1/programs/{programId}/gates/{gate}/requests',
  summary: 'Open a gate for decision (409 names the current state and what is allowed)',
  tags: ['gates'],
  responses: { 200: { description: 'The open gate with its evidence' }, 409: { description: 'Not allowed now' } },
});

export const getGateRoute = route({
  method: 'get',
  path: '/v1/programs/{programId}/gates/{gate}',
  etag: true,
  summary: "A gate with its criteria, decisions, the evidence each decision was made on, and its approvers' names",
  tags: ['gates'],
  roles: everyone,
  params: GateParams,
  responses: { 200: { description: 'The gate' } },
  async handle({ params, ctx }) {
    const status = await programStatus(ctx.deps, params.programId);
    const gate = status.gates.find((g) => g.gate === params.gate);
    if (!gate) return { status: 404, body: { error: 'not_found', message: `no gate ${params.gate} in this plan` } };
    const names = await ctx.deps.pool.query<{ id: string; display_name: string }>(
      'SELECT id, display_name FROM people WHERE id = ANY($1)',
      [gate.approvers.map((a) => a.personId)],
    );
    return {
      status: 200,
      body: {
        ...gate,
        approverNames: Object.fromEntries(names.rows.map((r) => [r.id, r.display_name])),
        recordedDecisions: await gateDecisions(ctx.deps.pool, params.programId, params.gate),
      },
    };
  },
});

export const decideGateRoute = programUpdateRoute(programUpdates.decideGate, {
  path: '/v1/programs/{programId}/gates/{gate}/decisions',
  summary: "Decide go or no-go (only the gate's named approvers; go on a failing criterion needs an override)",
  tags: ['gates'],
  responses: {
    200: { description: 'The gate after the decision' },
    403: { description: 'Not an approver' },
    409: { description: 'Gate closed, or override required' },
  },
});

export const startWaveRoute = programUpdateRoute(programUpdates.startWave, {
  path: '/v1/programs/{programId}/waves/{wave}/start',
  summary: "Start a wave's go-live (after its gate said go, inside its window)",
  tags: ['phases'],
  responses: { 200: { description: 'The wave, going live' }, 409: { description: 'Not allowed now' } },
});

export const retryDepartmentRoute = programUpdateRoute(programUpdates.retryDepartment, {
  path: '/v1/programs/{programId}/departments/{department}/retry',
  summary: "Run a failed department's remaining go-live steps again",
  tags: ['phases'],
  responses: { 200: { description: 'The department' }, 409: { description: 'Not allowed now' } },
});

export const getDepartmentRoute = route({
  method: 'get',
  path: '/v1/programs/{programId}/departments/{department}',
  etag: true,
  summary: "A department's state, failure and history",
  tags: ['phases'],
  roles: everyone,
  params: DepartmentParams,
  responses: { 200: { description: 'The department' }, 404: { description: 'No such department' } },
  async handle({ params, ctx }) {
    const status = await programStatus(ctx.deps, params.programId);
    const department = status.departments.find((d) => d.code === params.department);
    if (!department) return { status: 404, body: { error: 'not_found', message: `no department ${params.department} in this plan` } };
    return { status: 200, body: department };
  },
});

export const completeRoute = programUpdateRoute(programUpdates.complete, {
  path: '/v1/programs/{programId}/complete',
  summary: 'Complete the program after the final gate said go: the legacy system is retired',
  tags: ['phases'],
  responses: { 200: { description: 'Completed' }, 409: { description: 'Not allowed now' } },
});

export const programRoutes: AnyRoute[] = [
  createProgramRoute,
  listProgramsRoute,
  programStatusRoute,
  programStreamRoute,
  recordEvidenceRoute,
  requestGateRoute,
  getGateRoute,
  decideGateRoute,
  startWaveRoute,
  retryDepartmentRoute,
  getDepartmentRoute,
  completeRoute,
];

export const rollBackRoute = programUpdateRoute(programUpdates.rollBack, {
  path: '/v1/programs/{programId}/rollbacks',
  summary: 'Roll back departments or a whole wave to the legacy system, undoing their go-live steps in reverse',
  tags: ['rollback'],
  responses: { 200: { description: 'The departments, rolling back' }, 409: { description: 'Nothing to roll back there' } },
});

export const markStepUndoneRoute = programUpdateRoute(programUpdates.markStepUndone, {
  path: '/v1/programs/{programId}/departments/{department}/rollback/manual-steps',
  summary: 'Record that a compensation which kept failing was done by hand; the rollback continues',
  tags: ['rollback'],
  responses: { 200: { description: 'The department' }, 409: { description: 'No such failed compensation' } },
});

export const resumeProgramRoute = programUpdateRoute(programUpdates.resumeProgram, {
  path: '/v1/programs/{programId}/resume',
  summary: 'Resume a paused program (after a critical night was dealt with)',
  tags: ['phases'],
  responses: { 200: { description: 'The program' }, 409: { description: 'Not paused, or an emergency is open' } },
});

export const extendParallelRunRoute = programUpdateRoute(programUpdates.extendParallelRun, {
  path: '/v1/programs/{programId}/parallel-run/extensions',
  summary: 'Extend the parallel run (until an instant, or by an ISO duration), with a reason',
  tags: ['parallel run'],
  responses: { 200: { description: 'The parallel run' } },
});

export const compareAgainRoute = programUpdateRoute(programUpdates.compareAgain, {
  path: '/v1/programs/{programId}/parallel-run/comparisons',
  summary: 'Compare a past business day or time window again (after a fix, or to reconcile a downtime)',
  tags: ['parallel run'],
  responses: { 200: { description: 'The parallel run' } },
});

programRoutes.push(rollBackRoute, markStepUndoneRoute, resumeProgramRoute, extendParallelRunRoute, compareAgainRoute);

programRoutes.push(...emergencyRoutes, ...migrationRoutes);
