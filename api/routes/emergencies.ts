/** The emergency's routes (paper operation, back-entry, restore, packets) and the migration's verification. */
import { workflowIds } from '../../domain/ids';
import { migrationStatusQuery } from '../../domain/migration';
import { roleGroups } from '../../domain/permissions';
import { DepartmentCode } from '../../domain/plan';
import { ProgramParams, programUpdates } from '../../domain/program-contract';
import { renderPacketHtml, type PrintablePacket } from '../../app/downtime-print';
import { auditDownload } from '../audit';
import { HttpError } from '../errors';
import { requestLocale } from '../locale';
import { downtimePacket, programExists, programStatus, readLive } from '../programs';
import { intParam, route, type AnyRoute } from '../route';
import { programUpdateRoute } from './program-update';

const { everyone, responders } = roleGroups;
const DepartmentParams = ProgramParams.extend({ department: DepartmentCode });

export const declareEmergencyRoute = programUpdateRoute(programUpdates.declareEmergency, {
  path: '/v1/programs/{programId}/emergencies',
  summary: 'Declare an emergency: pause the cutover, put departments (or the whole hospital) on paper, tell everyone',
  tags: ['emergency'],
  responses: { 200: { description: 'The emergency with its timeline (a repeat declaration answers the same emergency)' } },
});

export const recordBacklogRoute = programUpdateRoute(programUpdates.recordBacklog, {
  path: '/v1/programs/{programId}/emergency/backlog',
  summary: 'Report the paper records of a department still awaiting back-entry',
  tags: ['emergency'],
  responses: { 200: { description: 'The emergency' } },
});

export const restoreSystemsRoute = programUpdateRoute(programUpdates.restoreSystems, {
  path: '/v1/programs/{programId}/emergency/restore',
  summary: 'All-clear step 1: the systems are back (departments leave downtime); back-entry starts',
  tags: ['emergency'],
  responses: { 200: { description: 'The emergency' } },
});

export const closeEmergencyRoute = programUpdateRoute(programUpdates.closeEmergency, {
  path: '/v1/programs/{programId}/emergency/close',
  summary: 'All-clear step 2: every backlog is zero and the downtime window reconciles',
  tags: ['emergency'],
  responses: { 200: { description: 'The emergency, closed' }, 409: { description: 'Backlog or reconciliation outstanding' } },
});

export const getEmergencyRoute = route({
  method: 'get',
  path: '/v1/programs/{programId}/emergency',
  etag: true,
  summary: 'The open (or last) emergency: declared, downtime per department, notified, restored, backlog cleared, closed, with durations',
  tags: ['emergency'],
  roles: everyone,
  params: ProgramParams,
  responses: { 200: { description: 'The emergency' }, 404: { description: 'None declared' } },
  async handle({ params, ctx }) {
    const status = await programStatus(ctx.deps, params.programId);
    if (!status.emergency) return { status: 404, body: { error: 'not_found', message: 'no emergency was declared' } };
    return { status: 200, body: status.emergency };
  },
});

const downtimePacketPath = '/v1/programs/{programId}/emergencies/{emergency}/packets/{department}';
export const downtimePacketRoute = route({
  method: 'get',
  path: downtimePacketPath,
  summary: "Download a department's downtime packet (census, active orders, pending results, forms): patient data, responders only",
  tags: ['emergency'],
  roles: responders,
  params: DepartmentParams.extend({ emergency: intParam() }),
  responses: { 200: { description: 'The packet, as a JSON attachment' }, 404: { description: 'No such packet' } },
  async handle({ params, ctx }) {
    const packet = await downtimePacket(ctx.deps.pool, params.programId, params.emergency, params.department);
    if (!packet) return { status: 404, body: { error: 'not_found', message: 'no such packet' } };
    await auditDownload(ctx, downtimePacketPath, {
      programId: params.programId,
      emergency: String(params.emergency),
      department: params.department,
    });
    return {
      status: 200,
      body: {
        packetId: packet.id,
        department: params.department,
        asOf: packet.as_of.toISOString(),
        forms: packet.forms,
        content: packet.content,
      },
      headers: {
        'Content-Disposition': `attachment; filename="downtime-${params.programId}-${params.emergency}-${params.department}.json"`,
        'Cache-Control': 'no-store',
      },
    };
  },
});

const printablePacketPath = '/v1/programs/{programId}/emergencies/{emergency}/packets/{department}/print';
export const printablePacketRoute = route({
  method: 'get',
  path: printablePacketPath,
  summary: "A department's downtime packet as a page to print, in the reader's language (Accept-Language): patient data, responders only",
  tags: ['emergency'],
  roles: responders,
  params: DepartmentParams.extend({ emergency: intParam() }),
  responses: { 200: { description: 'The packet as HTML', contentType: 'text/html' }, 404: { description: 'No such packet' } },
  async handle({ params, ctx }) {
    const packet = await downtimePacket(ctx.deps.pool, params.programId, params.emergency, params.department);
    if (!packet) throw new HttpError(404, 'not_found', 'no such packet');
    await auditDownload(ctx, printablePacketPath, {
      programId: params.programId,
      emergency: String(params.emergency),
      department: params.department,
    });
    const { rows } = await ctx.deps.pool.query<{ hospital: { name?: string; timeZone?: string } | null }>(
      `SELECT plan->'hospital' AS hospital FROM program WHERE id = $1`,
      [params.programId],
    );
    const hospital = rows[0]?.hospital;
    const html = renderPacketHtml(
      {
        hospital: hospital?.name ?? params.programId,
        department: params.department,
        emergency: params.emergency,
        asOf: packet.as_of,
        timeZone: hospital?.timeZone ?? ctx.deps.config.HOSPITAL_TIME_ZONE,
        forms: packet.forms,
        content: packet.content as PrintablePacket['content'],
      },
      requestLocale(ctx.req, ctx.res),
    );
    ctx.res.status(200).set({ 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' }).send(html);
    return { status: 200 };
  },
});

export const resumeDepartmentRoute = programUpdateRoute(programUpdates.resumeDepartment, {
  path: '/v1/programs/{programId}/departments/{department}/resume',
  summary: "After an emergency: resume a department's paused go-live where it stopped",
  tags: ['emergency'],
  responses: { 200: { description: 'The department' } },
});

export const emergencyRoutes: AnyRoute[] = [
  printablePacketRoute,
  declareEmergencyRoute,
  recordBacklogRoute,
  restoreSystemsRoute,
  closeEmergencyRoute,
  getEmergencyRoute,
  downtimePacketRoute,
  resumeDepartmentRoute,
];

export const verifyMigrationRoute = programUpdateRoute(programUpdates.verifyMigration, {
  path: '/v1/programs/{programId}/migration-verifications',
  summary:
    'Compare the whole history of every domain, legacy against new, in key ranges shared by all workers; the result becomes the readiness evidence "migration verified"',
  tags: ['parallel run'],
  responses: {
    200: { description: 'The verification started: its number and workflow id' },
    409: { description: 'The plan names no comparison domains' },
  },
});

export const migrationStatusRoute = route({
  method: 'get',
  path: '/v1/programs/{programId}/migration-verifications/{n}',
  etag: true,
  summary: 'Progress of a migration verification: ranges done, rows compared, differences, time left',
  tags: ['parallel run'],
  roles: everyone,
  params: ProgramParams.extend({ n: intParam() }),
  responses: { 200: { description: 'Its progress' }, 404: { description: 'No such verification' } },
  async handle({ params, ctx }) {
    const workflowId = workflowIds.verifyMigration(params.programId, params.n);
    const body = await readLive(ctx.deps, workflowId, migrationStatusQuery.name, async () => {
      await programExists(ctx.deps.pool, params.programId);
      return ctx.deps.temporal.workflow.getHandle(workflowId).query(migrationStatusQuery);
    });
    return { status: 200, body };
  },
});

export const migrationRoutes: AnyRoute[] = [verifyMigrationRoute, migrationStatusRoute];
