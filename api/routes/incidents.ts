import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import {
  acknowledgeUpdate,
  Code,
  Condition,
  Counts,
  EscalationPolicy,
  incidentStatusQuery,
  Owner,
  ResolutionCode,
  resolveUpdate,
  Rota,
  RotaName,
  Severity,
} from '../../domain/escalation';
import { IncidentDetail, IncidentRow } from '../../domain/incident-views';
import { namedActorOf, type Principal } from '../../domain/people';
import { roleGroups } from '../../domain/permissions';
import { ProgramParams } from '../../domain/program-contract';
import { findAckToken, spendAckToken } from '../../app/ack-tokens';
import { getPolicy, getRota, putPolicy, putRota, raiseIncident } from '../../app/incidents';
import { HttpError, ValidationError } from '../errors';
import { invalidateProgram, planDepartments } from '../programs';
import { sendShell } from '../ui';
import { intParam, route, type RequestContext } from '../route';
import { runUpdate, UpdatePending, updateReply } from '../temporal-calls';

const { everyone: anyone, leads, responders } = roleGroups;
const IncidentParams = z.object({ incidentId: z.uuid() });
const RotaParams = ProgramParams.extend({ name: RotaName });
const AckParams = z.object({ token: z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'must be an acknowledge token') });

const RaiseBody = z.object({
  programId: Code,
  departments: z.array(Code).max(100).default([]),
  condition: Condition.default('reported'),
  severity: Severity,
  counts: Counts.default({}),
});
const Raised = z.object({ incidentId: z.string(), workflowId: z.string(), deduplicated: z.boolean() });

const incidentColumns = `id AS "incidentId", workflow_id AS "workflowId", program_id AS "programId", departments, condition, severity, counts, status,
  level, round, owner_id AS "ownerId", to_json(acknowledged_at)#>>'{}' AS "acknowledgedAt", repeats, raised_by AS "raisedBy",
  to_json(raised_at)#>>'{}' AS "raisedAt", to_json(resolved_at)#>>'{}' AS "resolvedAt", resolved_by AS "resolvedBy", resolution_code AS "resolutionCode",
  (SELECT coalesce(jsonb_object_agg(p.id, p.display_name), '{}') FROM people p WHERE p.id IN (owner_id, raised_by, resolved_by)) AS names,
  domains, (SELECT coalesce(jsonb_object_agg(d->>'name', d->>'title'), '{}') FROM program pr, jsonb_array_elements(coalesce(pr.plan#>'{parallelRun,domains}', '[]')) d
    WHERE pr.id = incidents.program_id AND d->>'name' = ANY(incidents.domains) AND d ? 'title') AS "domainTitles"`;

function principalOf(ctx: RequestContext): Principal {
  if (!ctx.principal) throw new HttpError(401, 'unauthenticated', 'send Authorization: Bearer <token>');
  return ctx.principal;
}

async function incidentRow(ctx: RequestContext, incidentId: string): Promise<z.infer<typeof IncidentRow>> {
  const { rows } = await ctx.deps.pool.query(`SELECT ${incidentColumns} FROM incidents WHERE id = $1`, [incidentId]);
  if (!rows[0]) throw new HttpError(404, 'not_found', 'no such incident');
  return rows[0] as z.infer<typeof IncidentRow>;
}

/** The acknowledge Update, shared by the API route and the acknowledge page. */
async function acknowledge(ctx: RequestContext, incidentId: string, by: Principal) {
  const row = await incidentRow(ctx, incidentId);
  if (row.status === 'resolved') throw new HttpError(409, 'InvalidState', 'the incident is resolved');
  const outcome = await runUpdate(ctx, ctx.deps.temporal.workflow.getHandle(row.workflowId), acknowledgeUpdate, {
    by: namedActorOf(by),
    incidentId,
  });
  // The program shows its open incidents: the next read of it in this process includes this.
  invalidateProgram(ctx.deps, row.programId);
  return outcome;
}

export const raiseIncidentRoute = route({
  method: 'post',
  path: '/v1/incidents',
  summary: 'Raise an incident; the same condition on the same program and department adds to the open one',
  tags: ['incidents'],
  roles: responders,
  body: RaiseBody,
  responses: {
    202: { description: 'Raised, or added to the open incident (deduplicated)', schema: Raised },
    409: { description: 'The program has no escalation policy' },
  },
  async handle({ body, ctx }) {
    const by = principalOf(ctx);
    const policy = await getPolicy(ctx.deps.pool, body.programId);
    if (!policy) throw new HttpError(409, 'no_policy', `program ${body.programId} is unknown or has no escalation policy`);
    // Only the plan's departments: an incident's departments name its workflow, its e-mails and
    // its search attributes, and an unknown one would page people about a ward that is not in the go-live.
    const known = await planDepartments(ctx.deps.pool, body.programId);
    if (known) {
      const issues = body.departments.flatMap((d, i) =>
        known.has(d)
          ? []
          : [
              {
                path: `body.departments.${i}`,
                rule: 'department-not-in-plan',
                message: `department ${d} is not in the plan of program ${body.programId}`,
              },
            ],
      );
      if (issues.length) throw new ValidationError(issues);
    }
    const raised = await raiseIncident(ctx.deps.temporal, ctx.deps.config.TEMPORAL_TASK_QUEUE, {
      ...body,
      policy,
      raisedBy: by.personId,
      raiseId: randomUUID(),
    });
    const status = await ctx.deps.temporal.workflow.getHandle(raised.workflowId, raised.runId).query(incidentStatusQuery);
    invalidateProgram(ctx.deps, body.programId);
    return {
      status: 202,
      body: { incidentId: status.incidentId, workflowId: raised.workflowId, deduplicated: status.incidentId !== raised.raiseId },
      headers: { Location: `/v1/incidents/${status.incidentId}` },
    };
  },
});

export const listIncidentsRoute = route({
  method: 'get',
  path: '/v1/incidents',
  etag: true,
  summary: 'Incidents, newest first',
  tags: ['incidents'],
  roles: anyone,
  query: z.object({
    programId: Code.optional(),
    status: z.enum(['open', 'acknowledged', 'resolved']).optional(),
    limit: intParam(1, 500).default(100),
  }),
  responses: { 200: { description: 'The incidents', schema: z.object({ incidents: z.array(IncidentRow) }) } },
  async handle({ query, ctx }) {
    const { rows } = await ctx.deps.pool.query(
      `SELECT ${incidentColumns} FROM incidents WHERE ($1::text IS NULL OR program_id = $1) AND ($2::text IS NULL OR status = $2)
       ORDER BY raised_at DESC, id LIMIT $3`,
      [query.programId ?? null, query.status ?? null, query.limit],
    );
    return { status: 200, body: { incidents: rows } };
  },
});

export const getIncidentRoute = route({
  method: 'get',
  path: '/v1/incidents/{incidentId}',
  etag: true,
  summary: 'One incident with its timeline: who was told when, acknowledgements, escalations, resolution',
  tags: ['incidents'],
  roles: anyone,
  params: IncidentParams,
  responses: { 200: { description: 'The incident', schema: IncidentDetail }, 404: { description: 'No such incident' } },
  async handle({ params, ctx }) {
    const row = await incidentRow(ctx, params.incidentId);
    const [timeline, note] = await Promise.all([
      ctx.deps.pool.query(
        `SELECT to_json(at)#>>'{}' AS at, kind, level, round, person_id AS "personId", detail FROM incident_events WHERE incident_id = $1 ORDER BY at, seq`,
        [params.incidentId],
      ),
      ctx.deps.pool.query(
        `SELECT code, text, person_id AS "personId", to_json(created_at)#>>'{}' AS at FROM incident_notes WHERE incident_id = $1 AND kind = 'resolution' ORDER BY id DESC LIMIT 1`,
        [params.incidentId],
      ),
    ]);
    // The timeline's people by name too, beside the row's own.
    const ids = [
      ...new Set([...timeline.rows, ...note.rows].map((r: { personId: string | null }) => r.personId).filter((id): id is string => !!id)),
    ];
    const more = ids.length
      ? (await ctx.deps.pool.query<{ id: string; name: string }>('SELECT id, display_name AS name FROM people WHERE id = ANY($1)', [ids]))
          .rows
      : [];
    const names = { ...row.names, ...Object.fromEntries(more.map((p) => [p.id, p.name])) };
    return { status: 200, body: { ...row, names, timeline: timeline.rows, resolutionNote: note.rows[0] ?? null } };
  },
});

export const acknowledgeIncidentRoute = route({
  method: 'post',
  path: '/v1/incidents/{incidentId}/acknowledge',
  summary: 'Own the incident: the ladder stops climbing',
  tags: ['incidents'],
  roles: responders,
  params: IncidentParams,
  responses: {
    200: { description: 'You own it', schema: Owner },
    202: { description: 'Accepted by the workflow and still running after 30 s: read the incident', schema: UpdatePending },
    409: { description: 'Already acknowledged (the body names the owner) or resolved' },
  },
  async handle({ params, ctx }) {
    return updateReply(await acknowledge(ctx, params.incidentId, principalOf(ctx)));
  },
});

export const resolveIncidentRoute = route({
  method: 'post',
  path: '/v1/incidents/{incidentId}/resolve',
  summary: 'Close the incident with a resolution code and a short note',
  tags: ['incidents'],
  roles: responders,
  params: IncidentParams,
  body: z.object({ code: ResolutionCode, note: z.string().trim().min(1).max(500) }),
  responses: {
    200: { description: 'Resolved' },
    202: { description: 'Accepted by the workflow and still running after 30 s: read the incident', schema: UpdatePending },
    409: { description: 'Already resolved' },
  },
  async handle({ params, body, ctx }) {
    const by = principalOf(ctx);
    const row = await incidentRow(ctx, params.incidentId);
    if (row.status === 'resolved') throw new HttpError(409, 'InvalidState', 'the incident is already resolved');
    // The note's text stays in PostgreSQL; the workflow (and its history) gets its id.
    const note = await ctx.deps.pool.query<{ id: string }>(
      `INSERT INTO incident_notes (incident_id, kind, code, text, person_id) VALUES ($1, 'resolution', $2, $3, $4) RETURNING id`,
      [params.incidentId, body.code, body.note, by.personId],
    );
    const noteId = Number(note.rows[0]!.id);
    try {
      const outcome = await runUpdate(ctx, ctx.deps.temporal.workflow.getHandle(row.workflowId), resolveUpdate, {
        by: namedActorOf(by),
        code: body.code,
        noteId,
        incidentId: params.incidentId,
      });
      invalidateProgram(ctx.deps, row.programId);
      return updateReply(outcome);
    } catch (err) {
      await ctx.deps.pool.query('DELETE FROM incident_notes WHERE id = $1', [noteId]);
      throw err;
    }
  },
});

export const listRotasRoute = route({
  method: 'get',
  path: '/v1/programs/{programId}/rotas',
  summary: "A program's on-call rotas",
  tags: ['incidents'],
  roles: anyone,
  params: ProgramParams,
  responses: {
    200: {
      description: 'Rotas by name',
      schema: z.object({ rotas: z.array(z.object({ name: z.string(), rota: Rota, updatedBy: z.string(), updatedAt: z.string() })) }),
    },
  },
  async handle({ params, ctx }) {
    const { rows } = await ctx.deps.pool.query(
      `SELECT name, rota, updated_by AS "updatedBy", to_json(updated_at)#>>'{}' AS "updatedAt" FROM oncall_rotas WHERE program_id = $1 ORDER BY name`,
      [params.programId],
    );
    return { status: 200, body: { rotas: rows } };
  },
});

export const getRotaRoute = route({
  method: 'get',
  path: '/v1/programs/{programId}/rotas/{name}',
  summary: 'One on-call rota',
  tags: ['incidents'],
  roles: anyone,
  params: RotaParams,
  responses: { 200: { description: 'The rota', schema: Rota }, 404: { description: 'No such rota' } },
  async handle({ params, ctx }) {
    const rota = await getRota(ctx.deps.pool, params.programId, params.name);
    if (!rota) throw new HttpError(404, 'not_found', 'no such rota');
    return { status: 200, body: rota };
  },
});

export const putRotaRoute = route({
  method: 'put',
  path: '/v1/programs/{programId}/rotas/{name}',
  summary: 'Set an on-call rota; ladders read it when they reach its level, so the change applies at once',
  tags: ['incidents'],
  roles: leads,
  params: RotaParams,
  body: Rota,
  responses: { 200: { description: 'Stored', schema: Rota } },
  async handle({ params, body, ctx }) {
    await putRota(ctx.deps.pool, params.programId, params.name, body, principalOf(ctx).personId);
    return { status: 200, body };
  },
});

export const getPolicyRoute = route({
  method: 'get',
  path: '/v1/programs/{programId}/escalation-policy',
  summary: "The escalation policy: the one set here, else the plan's own",
  tags: ['incidents'],
  roles: anyone,
  params: ProgramParams,
  responses: { 200: { description: 'The policy', schema: EscalationPolicy }, 404: { description: 'None set' } },
  async handle({ params, ctx }) {
    const policy = await getPolicy(ctx.deps.pool, params.programId);
    if (!policy) throw new HttpError(404, 'not_found', 'no escalation policy for this program');
    return { status: 200, body: policy };
  },
});

export const putPolicyRoute = route({
  method: 'put',
  path: '/v1/programs/{programId}/escalation-policy',
  summary: 'Set the escalation policy for incidents raised through the API',
  tags: ['incidents'],
  roles: leads,
  params: ProgramParams,
  body: EscalationPolicy,
  responses: { 200: { description: 'Stored, with defaults filled in', schema: EscalationPolicy } },
  async handle({ params, body, ctx }) {
    await putPolicy(ctx.deps.pool, params.programId, body, principalOf(ctx).personId);
    return { status: 200, body };
  },
});

export const ackPageRoute = route({
  method: 'get',
  path: '/ack/{token}',
  summary: 'The command-center page behind an e-mail acknowledge link: it asks who you are and acknowledges nothing by itself',
  tags: ['incidents'],
  roles: 'public',
  // Any token: the page itself tells a mistyped or truncated link apart (through the route below).
  params: z.object({ token: z.string().max(200) }),
  responses: { 200: { description: 'The command center, at the acknowledge page', contentType: 'text/html' } },
  async handle({ ctx }) {
    // Mail scanners follow links: showing the page must change nothing. The page reads the link below.
    sendShell(ctx.res);
    return { status: 200 };
  },
});

export const ackLinkRoute = route({
  method: 'get',
  path: '/v1/ack-links/{token}',
  summary: 'What an acknowledge link is about (codes and opaque ids only), and whether it can still be used',
  tags: ['incidents'],
  roles: 'public',
  params: AckParams,
  responses: {
    200: { description: 'The incident the link acknowledges' },
    410: { description: 'Link used, expired, or its incident resolved' },
  },
  async handle({ params, ctx }) {
    const row = await findAckToken(ctx.deps.pool, params.token);
    const incident = row?.usable ? await incidentRow(ctx, row.incidentId) : undefined;
    if (!incident || incident.status === 'resolved')
      throw new HttpError(410, 'link_expired', 'this acknowledge link was used, has expired, or its incident is resolved');
    const { incidentId, programId, departments, severity, condition, status, level } = incident;
    return {
      status: 200,
      headers: { 'Cache-Control': 'no-store' },
      body: { incidentId, programId, departments, severity, condition, status, level },
    };
  },
});

export const ackConfirmRoute = route({
  method: 'post',
  path: '/ack/{token}',
  summary: 'Acknowledge through an e-mail link, as the person whose API token is sent',
  tags: ['incidents'],
  roles: anyone,
  params: AckParams,
  responses: {
    200: { description: 'You own it', schema: Owner },
    202: { description: 'Accepted by the workflow and still running after 30 s: read the incident', schema: UpdatePending },
    403: { description: 'The link was sent to someone else: acknowledge on the incident page as yourself' },
    409: { description: 'Already acknowledged or resolved' },
    410: { description: 'Link used or expired' },
  },
  async handle({ params, ctx }) {
    const by = principalOf(ctx);
    const row = await findAckToken(ctx.deps.pool, params.token);
    if (!row?.usable) throw new HttpError(410, 'link_expired', 'this acknowledge link was used or has expired');
    // A link is a credential sent to one person's mailbox: a forwarded or leaked one must not let
    // someone else (or a mailbox shared by two) act as its owner's page. Anyone else on the
    // ladder acknowledges on the incident page, under their own name.
    if (row.personId !== by.personId) {
      throw new HttpError(
        403,
        'ack_link_not_yours',
        `this acknowledge link was sent to someone else; acknowledge on the incident page (/incidents/${row.incidentId}) as yourself`,
        {
          incidentId: row.incidentId,
        },
      );
    }
    const owner = await acknowledge(ctx, row.incidentId, by);
    await spendAckToken(ctx.deps.pool, params.token, by.personId);
    return updateReply(owner);
  },
});

export const incidentRoutes = [
  raiseIncidentRoute,
  listIncidentsRoute,
  getIncidentRoute,
  acknowledgeIncidentRoute,
  resolveIncidentRoute,
  listRotasRoute,
  getRotaRoute,
  putRotaRoute,
  getPolicyRoute,
  putPolicyRoute,
  ackPageRoute,
  ackLinkRoute,
  ackConfirmRoute,
];
