/** Use cases behind the program routes: the routes authenticate and validate, these act. */
import { createHash } from 'node:crypto';
import { WorkflowExecutionAlreadyStartedError, type Client, type WorkflowHandle } from '@temporalio/client';
import type { Pool } from 'pg';
import { workflowIds } from '../domain/ids';
import type { Plan } from '../domain/plan';
import { canonicalJson } from '../platform/audit';
import { programStatusQuery, type ProgramStatus } from '../domain/rollout';
import type { programWorkflow } from '../workflows';
import type { Deps } from './deps';
import { HttpError } from './errors';

export const programHandle = (temporal: Client, programId: string): WorkflowHandle<typeof programWorkflow> =>
  temporal.workflow.getHandle<typeof programWorkflow>(workflowIds.program(programId));

/**
 * Stores the plan and starts its program workflow. Idempotent: the same plan again answers
 * with the running program; a different plan under the same id is a conflict, never an overwrite,
 * and so is any plan under the id of a program that has finished.
 */
export async function createProgram(
  deps: { pool: Pool; temporal: Client; taskQueue: string },
  plan: Plan,
  createdBy: string,
): Promise<{ created: boolean; workflowId: string }> {
  const planHash = createHash('sha256').update(canonicalJson(plan)).digest('hex');
  const inserted = await deps.pool.query(
    `INSERT INTO program (id, plan, plan_hash, hospital_name, created_by) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO NOTHING`,
    [plan.programId, plan, planHash, plan.hospital.name, createdBy],
  );
  if (!inserted.rowCount) {
    const existing = await deps.pool.query<{ plan_hash: string }>('SELECT plan_hash FROM program WHERE id = $1', [plan.programId]);
    if (existing.rows[0]?.plan_hash !== planHash) {
      throw new HttpError(409, 'program_exists', `program ${plan.programId} exists with a different plan; choose another programId`);
    }
  }
  const workflowId = workflowIds.program(plan.programId);
  try {
    // Also after a crash between the insert and this start: USE_EXISTING makes the retry safe.
    // REJECT_DUPLICATE: a program that has finished is never started over from readiness (its
    // old gate decisions would read as new ones); a new go-live needs a new program id.
    await deps.temporal.workflow.start<typeof programWorkflow>('programWorkflow', {
      workflowId,
      taskQueue: deps.taskQueue,
      args: [{ plan, createdBy }],
      workflowIdConflictPolicy: 'USE_EXISTING',
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
    });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    const closed = await programHandle(deps.temporal, plan.programId)
      .describe()
      .then((d) => d.status.name.toLowerCase())
      .catch(() => 'closed');
    throw new HttpError(
      409,
      'program_finished',
      `program ${plan.programId} has finished (${closed}); a new go-live needs a new programId`,
      { programId: plan.programId, status: closed },
    );
  }
  return { created: inserted.rowCount === 1, workflowId };
}

export async function listPrograms(pool: Pool) {
  const { rows } = await pool.query<{ id: string; hospital_name: string; created_by: string; created_at: Date }>(
    'SELECT id, hospital_name, created_by, created_at FROM program ORDER BY created_at DESC LIMIT 200',
  );
  return rows.map((r) => ({ programId: r.id, hospital: r.hospital_name, createdBy: r.created_by, createdAt: r.created_at.toISOString() }));
}

export async function programExists(pool: Pool, programId: string): Promise<void> {
  const { rowCount } = await pool.query('SELECT 1 FROM program WHERE id = $1', [programId]);
  if (!rowCount) throw new HttpError(404, 'not_found', `no program ${programId}`);
}

/** The department codes of a program's plan; undefined when no plan is stored for it. */
export async function planDepartments(pool: Pool, programId: string): Promise<Set<string> | undefined> {
  const { rows } = await pool.query<{ codes: string[] | null }>(
    `SELECT ARRAY(SELECT jsonb_array_elements(plan->'departments')->>'code') AS codes FROM program WHERE id = $1`,
    [programId],
  );
  return rows[0] ? new Set(rows[0].codes ?? []) : undefined;
}

/** Stored decisions of a gate, with the evidence each was made on. */
export async function gateDecisions(pool: Pool, programId: string, gate: string) {
  const { rows } = await pool.query(
    `SELECT round, approver_id, decision, override_reason, comment, evidence, evidence_hash, decided_at
       FROM gate_decision WHERE program_id = $1 AND gate_id = $2 ORDER BY id`,
    [programId, gate],
  );
  return rows.map((r) => ({
    round: r.round as number,
    approverId: r.approver_id as string,
    decision: r.decision as 'go' | 'no-go',
    overrideReason: (r.override_reason as string | null) ?? undefined,
    comment: (r.comment as string | null) ?? undefined,
    evidence: r.evidence as unknown,
    evidenceHash: r.evidence_hash as string,
    decidedAt: (r.decided_at as Date).toISOString(),
  }));
}

/** The packet for the authorized download (the only way its content leaves PostgreSQL). */
export async function downtimePacket(pool: Pool, programId: string, emergency: number, department: string) {
  const { rows } = await pool.query(
    'SELECT id, as_of, forms, content FROM downtime_packet WHERE program_id = $1 AND emergency = $2 AND department = $3',
    [programId, emergency, department],
  );
  return rows[0] as { id: string; as_of: Date; forms: string[]; content: unknown } | undefined;
}

/** A query's answer through the shared read path (app/live-reads.ts), or straight from `load` without one. */
export function readLive<T>(deps: Deps, workflowId: string, query: string, load: () => Promise<T>): Promise<T> {
  return deps.reads ? deps.reads.read(workflowId, query, load) : load();
}

/** The program's live state, as every status, gate, department and emergency read shows it (404 for no such program). */
export function programStatus(deps: Deps, programId: string): Promise<ProgramStatus> {
  return readLive(deps, workflowIds.program(programId), programStatusQuery.name, async () => {
    await programExists(deps.pool, programId);
    return programHandle(deps.temporal, programId).query(programStatusQuery);
  });
}

/**
 * After a change the API made to a program (an Update, an incident raised or acted on): this
 * process's next read of it queries afresh, so the deciding client sees its decision at once.
 * The parallel run's too: extensions and comparisons go through the program to it.
 */
export function invalidateProgram(deps: Deps, programId: string): void {
  deps.reads?.invalidate(workflowIds.program(programId));
  deps.reads?.invalidate(workflowIds.parallelRun(programId));
}
