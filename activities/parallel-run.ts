/**
 * The parallel run's activities: one domain's comparison of one night (through the comparison
 * engine, which keeps runs and differences in PostgreSQL), the incidents it raises, and the
 * nightly summary to the program. Inputs and outputs hold codes, counts and ids only.
 */
import { randomUUID } from 'node:crypto';
import { ApplicationFailure, Context, type Info } from '@temporalio/activity';
import type { WorkflowExecutionStatusName } from '@temporalio/client';
import { CancelledFailure, WorkflowNotFoundError } from '@temporalio/common';
import { escapeLiteral, type Pool } from 'pg';
import { ErrorType } from '../domain/errors';
import type { Condition, Counts } from '../domain/escalation';
import { nightComparedSignal, type ComparisonOutcomes, type NightSummary } from '../domain/parallel-run';
import type { ComparisonDomain, ComparisonSource } from '../domain/plan';
import { getPolicy, raiseIncident, type RaisedIncident } from '../app/incidents';
import { ComparisonError, compareDomain, outcomesOf, type CompareInput, type CompareResult, type SourceConfig } from '../compare';

export interface ParallelRunActivityDeps {
  pool: Pool;
  /** Where the connection strings a plan names by environment variable are found (process.env in the worker). */
  secrets: Record<string, string | undefined>;
}

export interface CompareNightInput {
  programId: string;
  domain: ComparisonDomain;
  businessDay: string;
  /** [from, to) ISO-8601. */
  window: { from: string; to: string };
  /** Replace {{departments}} in the queries: the departments live for the whole window. */
  departments: string[];
  settleMs: number;
  /** When the night was due (nightlyAt after it ended); later when the run catches up or retries a missed night. */
  scheduledAtMs: number;
}

export interface CompareNightResult {
  runId: string;
  rowsLegacy: number;
  rowsNew: number;
  differingKeys: number;
  mismatchRate: number;
  missingInLegacy: number;
  missingInNew: number;
  mismatched: number;
  /** Invalid keys, nonexistent local times and rows rechecked in flight: the gate evidence names them (optional: stubs and results from before them have none). */
  outcomes?: ComparisonOutcomes;
}

export interface RaiseComparisonIncidentInput {
  /** Computed by the workflow (uuid4): a retried raise is counted once. */
  raiseId: string;
  programId: string;
  condition: Extract<Condition, 'comparison-critical' | 'comparison-not-run'>;
  severity: 'sev1' | 'sev2' | 'sev3' | 'sev4';
  counts: Counts;
  /** The domains the nights were critical (or not compared) in. */
  domains?: string[];
  raisedBy: string;
}

const envName = /^env:([A-Z_][A-Z0-9_]{0,127})$/;

function secret(secrets: Record<string, string | undefined>, name: string, what: string): string {
  const value = secrets[name];
  // The variable's name is safe to report; its value never is.
  if (!value)
    throw ApplicationFailure.create({
      type: ErrorType.InvalidInput,
      nonRetryable: true,
      message: `${what}: environment variable ${name} is not set`,
    });
  return value;
}

function departmentsLiteral(departments: string[]): string {
  return `ARRAY[${departments.map((d) => escapeLiteral(d)).join(', ')}]::text[]`;
}

function sourceConfig(
  source: ComparisonSource,
  side: string,
  departments: string[],
  secrets: Record<string, string | undefined>,
): SourceConfig {
  if (source.kind !== 'postgres') return source;
  return {
    kind: 'postgres',
    url: secret(secrets, source.connection.urlEnv, `${side} source`),
    query: source.query.replaceAll('{{departments}}', departmentsLiteral(departments)),
  };
}

/** The engine's spec and sources for a plan's domain, with the connection strings it names by environment variable resolved. */
export function resolveDomain(
  domain: ComparisonDomain,
  departments: string[],
  secrets: Record<string, string | undefined>,
): Pick<CompareInput, 'spec' | 'legacy' | 'new' | 'thresholds'> {
  const codeMaps = Object.fromEntries(
    Object.entries(domain.spec.codeMaps).map(([name, map]) => {
      const env = map.kind === 'table' ? envName.exec(map.url) : null;
      return [name, map.kind === 'table' && env ? { ...map, url: secret(secrets, env[1]!, `code map ${name}`) } : map];
    }),
  );
  return {
    spec: { ...domain.spec, name: domain.name, codeMaps },
    legacy: sourceConfig(domain.legacy, 'legacy', departments, secrets),
    new: sourceConfig(domain.new, 'new', departments, secrets),
    thresholds: domain.thresholds,
  };
}

export function resultsUrlOf(pool: Pool): string {
  const url = pool.options.connectionString;
  if (!url)
    throw ApplicationFailure.create({
      type: ErrorType.InvalidInput,
      nonRetryable: true,
      message: 'the results database has no connection string',
    });
  return url;
}

/**
 * Notes this attempt's run id, and closes as 'abandoned' the rows earlier attempts of the same
 * activity left 'running': a worker killed mid-comparison never reached its own UPDATE, and a
 * row that says running for ever misleads whoever reads the results.
 */
export async function claimAttempt(pool: Pool, info: Pick<Info, 'activityId' | 'attempt' | 'workflowExecution'>): Promise<string> {
  const runId = randomUUID();
  const key = `${info.workflowExecution?.workflowId ?? '-'}/${info.workflowExecution?.runId ?? '-'}/${info.activityId}`;
  await pool.query('INSERT INTO comparison_attempt (activity_key, attempt, run_id) VALUES ($1, $2, $3)', [key, info.attempt, runId]);
  if (info.attempt > 1) {
    await pool.query(
      `UPDATE comparison_run SET status = 'abandoned', error_code = 'ABANDONED', finished_at = now()
        WHERE status = 'running' AND id IN (SELECT run_id FROM comparison_attempt WHERE activity_key = $1 AND attempt < $2)`,
      [key, info.attempt],
    );
  }
  return runId;
}

/**
 * Compares a plan's domain into the results database (the pool's); its errors become typed
 * failures. Call it from an activity. It heartbeats the engine's progress (its step; in the merge
 * the key range and rows read so far), so a query that hangs stops the heartbeats and Temporal
 * retries the attempt; cancelling the activity cancels the engine's queries on the servers.
 */
export async function comparePlanDomain(
  { pool, secrets }: ParallelRunActivityDeps,
  domain: ComparisonDomain,
  departments: string[],
  rest: Pick<CompareInput, 'window' | 'businessDay' | 'settleMs' | 'keyRange'>,
): Promise<CompareResult> {
  const resultsUrl = resultsUrlOf(pool);
  const resolved = resolveDomain(domain, departments, secrets);
  const ctx = Context.current();
  const runId = await claimAttempt(pool, ctx.info);
  try {
    return await compareDomain(
      { ...resolved, ...rest, resultsUrl, runId },
      { signal: ctx.cancellationSignal, onProgress: (p) => ctx.heartbeat(p) },
    );
  } catch (err) {
    if (err instanceof ApplicationFailure) throw err;
    if (ctx.cancellationSignal.aborted) throw new CancelledFailure('compare: cancelled');
    // The engine's errors carry a code and a place, never row values. Two servers that hash
    // differently will not agree on a retry; anything else (a database away) may.
    const code = err instanceof ComparisonError ? err.code : 'COMPARE';
    const message = err instanceof ComparisonError ? err.message : 'compare: failed';
    throw ApplicationFailure.create({
      type: code === 'HASH_MISMATCH' ? ErrorType.InvalidInput : ErrorType.ComparisonFailed,
      nonRetryable: code === 'HASH_MISMATCH',
      message,
      details: [{ code }],
    });
  }
}

/** The program's latest run as Temporal describes it; 'not-found' when no workflow has the id. */
export type ProgramRunStatus =
  'running' | 'completed' | 'failed' | 'canceled' | 'terminated' | 'continued-as-new' | 'timed-out' | 'unknown' | 'not-found';

const runStatusOf: Record<WorkflowExecutionStatusName, ProgramRunStatus> = {
  RUNNING: 'running',
  // A paused workflow is still open: it resumes and may still end the run.
  PAUSED: 'running',
  COMPLETED: 'completed',
  FAILED: 'failed',
  CANCELLED: 'canceled',
  TERMINATED: 'terminated',
  CONTINUED_AS_NEW: 'continued-as-new',
  TIMED_OUT: 'timed-out',
  UNSPECIFIED: 'unknown',
  UNKNOWN: 'unknown',
};

export function createParallelRunActivities({ pool, secrets }: ParallelRunActivityDeps) {
  return {
    /** Compares one domain for one night. */
    async compareNight(input: CompareNightInput): Promise<CompareNightResult> {
      const r = await comparePlanDomain({ pool, secrets }, input.domain, input.departments, {
        window: input.window,
        businessDay: /^\d{4}-\d{2}-\d{2}$/.test(input.businessDay) ? input.businessDay : undefined,
        settleMs: input.settleMs,
      });
      return {
        runId: r.runId,
        rowsLegacy: r.rowsLegacy,
        rowsNew: r.rowsNew,
        differingKeys: r.differingKeys,
        mismatchRate: r.mismatchRate,
        missingInLegacy: r.missingInLegacy,
        missingInNew: r.missingInNew,
        mismatched: r.mismatched,
        outcomes: outcomesOf(r),
      };
    },

    /** Opens (or counts a repeat of) the program's incident for the condition, under the program's escalation policy. */
    async raiseComparisonIncident(input: RaiseComparisonIncidentInput): Promise<RaisedIncident> {
      const policy = await getPolicy(pool, input.programId);
      if (!policy)
        throw ApplicationFailure.create({
          type: ErrorType.InvalidState,
          nonRetryable: true,
          message: `program ${input.programId} has no escalation policy`,
        });
      const ctx = Context.current();
      const raised = await raiseIncident(ctx.client, ctx.info.taskQueue, { ...input, departments: [], policy });
      // A repeat (another night, perhaps another domain) adds its domains to the open incident;
      // a new incident's row is written by its workflow with the domains of its raise.
      if (input.domains?.length)
        await pool.query(
          `UPDATE incidents SET domains = ARRAY(SELECT DISTINCT unnest(domains || $2::text[]) ORDER BY 1)
           WHERE workflow_id = $1 AND status <> 'resolved'`,
          [raised.workflowId, input.domains],
        );
      return raised;
    },

    /**
     * How the program's latest run stands: a program terminated or cancelled never sends endRun,
     * and the parallel run must not wait for it for ever. A continued-as-new program's latest run
     * is the new one, so this answers 'running' for it.
     */
    async programRunStatus(input: { programWorkflowId: string }): Promise<{ status: ProgramRunStatus }> {
      try {
        const d = await Context.current().client.workflow.getHandle(input.programWorkflowId).describe();
        return { status: runStatusOf[d.status.name] };
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) return { status: 'not-found' };
        throw err;
      }
    },

    /** Signals the program; a program that is not running has nobody to tell. */
    async notifyProgram(input: { programWorkflowId: string; summary: NightSummary }): Promise<{ delivered: boolean }> {
      try {
        await Context.current().client.workflow.getHandle(input.programWorkflowId).signal(nightComparedSignal, input.summary);
        return { delivered: true };
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) return { delivered: false };
        throw err;
      }
    },
  };
}
