/**
 * Which runbook runs there are (for the command center's navigation and "my tasks"): running
 * runs from Temporal's visibility, finished ones from runbook_run.
 */
import type { Client } from '@temporalio/client';
import type { Pool } from 'pg';
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
