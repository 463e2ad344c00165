/**
 * Which runbook runs there are (for the command center's navigation and "my tasks"): running
 * runs from Temporal's visibility, finished ones from runbook_run, and the tasks in a run that
 * wait for a given person.
 */
import type { Client } from '@temporalio/client';
import type { Pool } from 'pg';
import { checkedOffKinds } from '../domain/runbook';
import type { RunbookRunView } from '../domain/runbook-run';

/** Visibility lists are paged by the server; the command center needs no more than this many at once. */
const maxRunning = 200;

export interface RunRef {
  programId: string;
  runId: string;
}

/** Every running run, newest first; `callMs` bounds the listing so a slow Temporal is a 503, never a hang. */
export async function runningRuns(temporal: Client, callMs: number): Promise<RunRef[]> {
  const runs: RunRef[] = [];
  await temporal.connection.withDeadline(Date.now() + callMs, async () => {
    for await (const w of temporal.workflow.list({ query: "WorkflowType = 'runbookRunWorkflow' AND ExecutionStatus = 'Running'" })) {
      // runbook:{programId}:{runId} (domain/ids.ts): neither part holds a colon.
      const [kind, p, r] = w.workflowId.split(':');
      if (kind !== 'runbook' || !p || !r) continue;
      runs.push({ programId: p, runId: r });
      if (runs.length >= maxRunning) break;
    }
  });
  return runs;
}

export interface FinishedRunRow {
  runId: string;
  mode: RunbookRunView['mode'];
  startMs: number;
  minutesOverWindow: number;
}

export async function finishedRuns(pool: Pool, programId: string): Promise<FinishedRunRow[]> {
  const { rows } = await pool.query<FinishedRunRow>(
    `SELECT run_id AS "runId", mode, (extract(epoch FROM started_at) * 1000)::float8 AS "startMs", minutes_over_window AS "minutesOverWindow"
       FROM runbook_run WHERE program_id = $1 ORDER BY started_at DESC LIMIT 100`,
    [programId],
  );
  return rows;
}

export interface MyTask {
  programId: string;
  runId: string;
  mode: RunbookRunView['mode'];
  taskId: string;
  title: string;
  kind: RunbookRunView['tasks'][number]['kind'];
  department?: string;
  status: 'ready' | 'failed';
  readyAtMs?: number;
  /** When it should be done by the plan's duration from its start (forecast). */
  dueMs: number;
  critical: boolean;
  signOff: 1 | 2;
  signatures: number;
}

/**
 * The tasks of a run that wait for this person: ready (or a failed validation, validated again),
 * a kind people check off, owned by them, and not yet signed by them.
 */
export function tasksWaitingFor(view: RunbookRunView, personId: string): MyTask[] {
  const times = new Map(view.schedule.tasks.map((t) => [t.id, t]));
  return view.tasks
    .filter(
      (t) =>
        (t.status === 'ready' || (t.status === 'failed' && t.kind === 'validation')) &&
        checkedOffKinds.includes(t.kind) &&
        t.owners.includes(personId) &&
        !t.signOffs.some((s) => s.personId === personId),
    )
    .map((t) => ({
      programId: view.programId,
      runId: view.runId,
      mode: view.mode,
      taskId: t.id,
      title: t.title,
      kind: t.kind,
      department: t.department,
      status: t.status as 'ready' | 'failed',
      readyAtMs: t.readyAtMs,
      dueMs: times.get(t.id)?.forecastFinishMs ?? 0,
      critical: times.get(t.id)?.critical ?? false,
      signOff: t.signOff,
      signatures: t.signOffs.length,
    }));
}
