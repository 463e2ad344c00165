/**
 * Starting a runbook run for a program: the runbook's tasks are tied to the program's plan (an
 * adapter step runs a department's step through that department's adapter), owners named by rota
 * are resolved against the program's rotas, and the plan gives the time zone and the escalation
 * ladder. The run itself is workflows/runbook.ts.
 */
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import type { Pool } from 'pg';
import type { Rota } from '../domain/escalation';
import { workflowIds } from '../domain/ids';
import type { Plan } from '../domain/plan';
import type { Runbook, RunMode } from '../domain/runbook';
import type { RunbookRunInput, RunbookRunView } from '../domain/runbook-run';
import { getRota } from './incidents';

export interface StartRunbookRun {
  programId: string;
  runId: string;
  mode: RunMode;
  runbook: Runbook;
  /** The stored runbook's version when the run names a stored one. */
  runbookVersion?: number;
  startDate?: string;
  speed?: number;
  rehearsalRecipients?: string[];
}

export interface PlanIssue {
  path: string;
  message: string;
  rule: string;
}

export type StartOutcome =
  | { ok: true; workflowId: string }
  | { ok: false; reason: 'no-program' }
  | { ok: false; reason: 'finished'; workflowId: string }
  | { ok: false; reason: 'plan'; issues: PlanIssue[] };

/** The run's input from the program's plan and rotas, or what in the runbook the plan does not hold. */
export async function runInput(pool: Pool, req: StartRunbookRun): Promise<RunbookRunInput | PlanIssue[] | null> {
  const { rows } = await pool.query<{ plan: Plan }>('SELECT plan FROM program WHERE id = $1', [req.programId]);
  const plan = rows[0]?.plan;
  if (!plan) return null;
  const issues: PlanIssue[] = [];
  const adapterSteps: RunbookRunInput['adapterSteps'] = {};
  req.runbook.tasks.forEach((t, i) => {
    if (t.kind !== 'adapter-step') return;
    const dept = plan.departments.find((d) => d.code === t.department);
    const step = dept?.steps.find((s) => s.id === t.step);
    const adapter = plan.adapters.find((a) => a.id === step?.adapter);
    if (!dept || !step || !adapter)
      issues.push({
        path: `runbook.tasks.${i}.${dept ? 'step' : 'department'}`,
        message: dept ? `department ${dept.code} has no step ${t.step} in the plan` : `an adapter step names a department of the plan`,
        rule: 'step-in-plan',
      });
    else adapterSteps[t.id] = { department: dept.code, step, adapter };
  });
  const rotas: Record<string, Rota> = {};
  for (const [i, t] of req.runbook.tasks.entries()) {
    if (!('rota' in t.owner) || rotas[t.owner.rota]) continue;
    const rota = await getRota(pool, req.programId, t.owner.rota);
    if (rota) rotas[t.owner.rota] = rota;
    else issues.push({ path: `runbook.tasks.${i}.owner.rota`, message: `no rota ${t.owner.rota} in this program`, rule: 'known-rota' });
  }
  if (req.mode === 'rehearsal' && !req.rehearsalRecipients?.length)
    issues.push({ path: 'rehearsalRecipients', message: 'a rehearsal names who receives its e-mails', rule: 'rehearsal-recipients' });
  if (issues.length > 0) return issues;
  return {
    programId: req.programId,
    runId: req.runId,
    mode: req.mode,
    runbook: req.runbook,
    ...(req.runbookVersion !== undefined ? { runbookVersion: req.runbookVersion } : {}),
    timeZone: plan.hospital.timeZone,
    startDate: req.startDate,
    speed: req.mode === 'rehearsal' ? req.speed : undefined,
    adapterSteps,
    rotas,
    escalation: plan.escalation,
    rehearsalRecipients: req.rehearsalRecipients ?? [],
  };
}

/**
 * Starts the run. The same run id again while it runs is the same run (200, not a second one);
 * a run that has finished is never started again under its id: a new rehearsal needs a new id,
 * so each rehearsal keeps its own record.
 */
export async function startRunbookRun(
  deps: { pool: Pool; temporal: Client; taskQueue: string },
  req: StartRunbookRun,
): Promise<StartOutcome> {
  const input = await runInput(deps.pool, req);
  if (input === null) return { ok: false, reason: 'no-program' };
  if (Array.isArray(input)) return { ok: false, reason: 'plan', issues: input };
  const workflowId = workflowIds.runbookRun(req.programId, req.runId);
  try {
    await deps.temporal.workflow.start('runbookRunWorkflow', {
      workflowId,
      taskQueue: deps.taskQueue,
      args: [input],
      workflowIdConflictPolicy: 'USE_EXISTING',
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
    });
    return { ok: true, workflowId };
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return { ok: false, reason: 'finished', workflowId };
    throw err;
  }
}

/** The finished runs of a runbook that started before `beforeMs`, oldest first (for the rehearsal report). */
export async function earlierRuns(pool: Pool, programId: string, runbookId: string, beforeMs: number): Promise<RunbookRunView[]> {
  const { rows } = await pool.query<{ view: RunbookRunView }>(
    `SELECT view FROM runbook_run WHERE program_id = $1 AND runbook_id = $2 AND started_at < to_timestamp($3 / 1000.0) ORDER BY started_at LIMIT 50`,
    [programId, runbookId, beforeMs],
  );
  return rows.map((r) => r.view);
}

/** A finished run as it was recorded (finished runs do not change: no query of a closed workflow needed). */
export async function finishedRun(pool: Pool, programId: string, runId: string): Promise<RunbookRunView | undefined> {
  const { rows } = await pool.query<{ view: RunbookRunView }>('SELECT view FROM runbook_run WHERE program_id = $1 AND run_id = $2', [
    programId,
    runId,
  ]);
  return rows[0]?.view;
}
