/**
 * The parallel run's nights for the command center's grid, one comparison run's counts, and the
 * authorized download of its differences (patient data: responders only, and audited).
 */
import { WorkflowNotFoundError } from '@temporalio/client';
import { z } from 'zod';
import { workflowIds } from '../../domain/ids';
import { parallelRunNightsQuery, type NightView } from '../../domain/parallel-run';
import type { Plan } from '../../domain/plan';
import { roleGroups } from '../../domain/permissions';
import { ProgramParams } from '../../domain/program-contract';
import { streamDifferencesCsv } from '../../app/differences-csv';
import { auditDownload } from '../audit';
import { HttpError } from '../errors';
import { programExists, readLive } from '../programs';
import { route, type AnyRoute, type RequestContext } from '../route';

const { everyone, responders } = roleGroups;
const RunParams = ProgramParams.extend({ runId: z.uuid() });

function nightsOf(ctx: RequestContext, programId: string): Promise<{ domains: string[]; nights: NightView[] }> {
  const workflowId = workflowIds.parallelRun(programId);
  return readLive(ctx.deps, workflowId, parallelRunNightsQuery.name, async () => {
    await programExists(ctx.deps.pool, programId);
    try {
      return await ctx.deps.temporal.workflow.getHandle(workflowId).query(parallelRunNightsQuery);
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
      // Not started yet (the pilot is not live): the plan's domains, no nights.
      const { rows } = await ctx.deps.pool.query<{ plan: Plan }>('SELECT plan FROM program WHERE id = $1', [programId]);
      return { domains: (rows[0]?.plan.parallelRun?.domains ?? []).map((d) => d.name), nights: [] };
    }
  });
}

/** A run id is only served under the program whose parallel run made it. */
async function runOfProgram(ctx: RequestContext, programId: string, runId: string): Promise<{ businessDay: string; domain: string }> {
  const { nights } = await nightsOf(ctx, programId);
  for (const n of nights)
    for (const r of Object.values(n.results)) if (r.runId === runId) return { businessDay: n.businessDay, domain: r.domain };
  throw new HttpError(404, 'not_found', `no comparison run ${runId} in program ${programId}`);
}

export const listNightsRoute = route({
  method: 'get',
  path: '/v1/programs/{programId}/parallel-run/nights',
  etag: true,
  summary: "Every night compared, oldest first, with each domain's status, counts and run id",
  tags: ['parallel run'],
  roles: everyone,
  params: ProgramParams,
  responses: { 200: { description: 'Domains and nights' }, 404: { description: 'No such program' } },
  async handle({ params, ctx }) {
    const { domains, nights } = await nightsOf(ctx, params.programId);
    return {
      status: 200,
      body: {
        domains,
        nights: nights.map((n) => ({
          businessDay: n.businessDay,
          from: new Date(n.fromMs).toISOString(),
          to: new Date(n.toMs).toISOString(),
          results: n.results,
        })),
      },
    };
  },
});

export const getRunRoute = route({
  method: 'get',
  path: '/v1/programs/{programId}/parallel-run/runs/{runId}',
  etag: true,
  summary: "One domain's comparison of one night: rows per side, matched, missing, mismatched per field, duplicates, status",
  tags: ['parallel run'],
  roles: everyone,
  params: RunParams,
  responses: { 200: { description: 'The counts (no row values)' }, 404: { description: 'Not a run of this program' } },
  async handle({ params, ctx }) {
    const { businessDay } = await runOfProgram(ctx, params.programId, params.runId);
    const { rows } = await ctx.deps.pool.query(
      `SELECT id AS "runId", domain, status, to_json(window_start)#>>'{}' AS "windowStart", to_json(window_end)#>>'{}' AS "windowEnd",
              rows_legacy::float8 AS "rowsLegacy", rows_new::float8 AS "rowsNew", distinct_keys::float8 AS "distinctKeys", matched::float8 AS matched,
              missing_in_legacy::float8 AS "missingInLegacy", missing_in_new::float8 AS "missingInNew", mismatched::float8 AS mismatched,
              duplicate_keys_legacy::float8 AS "duplicateKeysLegacy", duplicate_keys_new::float8 AS "duplicateKeysNew", unmapped_codes::float8 AS "unmappedCodes",
              differing_keys::float8 AS "differingKeys", mismatch_rate AS "mismatchRate", field_mismatches AS "fieldMismatches",
              unmapped_by_field AS "unmappedByField", outcomes, differences::float8 AS differences, thresholds, error_code AS "errorCode",
              to_json(started_at)#>>'{}' AS "startedAt", to_json(finished_at)#>>'{}' AS "finishedAt"
         FROM comparison_run WHERE id = $1`,
      [params.runId],
    );
    if (!rows[0]) throw new HttpError(404, 'not_found', `no comparison run ${params.runId}`);
    return { status: 200, body: { businessDay, ...rows[0] } };
  },
});

const downloadDifferencesPath = '/v1/programs/{programId}/parallel-run/runs/{runId}/differences.csv';
export const downloadDifferencesRoute = route({
  method: 'get',
  path: downloadDifferencesPath,
  summary:
    'Download every difference of a run as CSV (key, kind, field, both values): patient data, responders only, every download audited',
  tags: ['parallel run'],
  roles: responders,
  params: RunParams,
  responses: { 200: { description: 'CSV', contentType: 'text/csv' }, 404: { description: 'Not a run of this program' } },
  async handle({ params, ctx }) {
    const { businessDay, domain } = await runOfProgram(ctx, params.programId, params.runId);
    const url = ctx.deps.pool.options.connectionString;
    if (!url) throw new HttpError(503, 'unavailable', 'the results database has no connection string');
    await auditDownload(ctx, downloadDifferencesPath, { programId: params.programId, runId: params.runId });
    ctx.res.status(200).set({
      'Content-Type': 'text/csv; charset=utf-8',
      'Content-Disposition': `attachment; filename="differences-${params.programId}-${domain}-${businessDay}.csv"`,
      'Cache-Control': 'no-store',
    });
    const csv = streamDifferencesCsv(url, params.runId);
    await new Promise<void>((resolve) => {
      csv.on('error', () => {
        // Headers are gone already: cut the response so the client sees an incomplete file, not a complete-looking one.
        ctx.res.destroy();
        resolve();
      });
      csv.on('end', resolve);
      csv.pipe(ctx.res);
    });
    return { status: 200 };
  },
});

export const parallelRunRoutes: AnyRoute[] = [listNightsRoute, getRunRoute, downloadDifferencesRoute];
