/**
 * Incidents outside workflows, for the API and the activities alike: raising one through a
 * Temporal client (the API, and the `raiseIncident` activity other workflows call), and the
 * per-program rotas and policies. The incident workflow is started by its type name with its
 * input typed from domain/: its code is the worker's, and importing it would tie this layer
 * to workflows/.
 */
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { Pool } from 'pg';
import type { Plan } from '../domain/plan';
import {
  alertRepeatedSignal,
  EscalationPolicy,
  IncidentInput,
  incidentDeptKey,
  incidentWorkflowType,
  Rota,
  type IncidentInputIn,
  type IncidentWorkflow,
} from '../domain/escalation';
import { workflowIds } from '../domain/ids';
import { GoliveDepartment, GoliveProgram } from '../domain/search-attributes';

export type RaiseIncidentInput = Omit<IncidentInputIn, 'raiseId'> & { raiseId?: string };
export interface RaisedIncident {
  workflowId: string;
  /** The run that holds the incident: a new one, or the open one the raise was added to. */
  runId: string;
  raiseId: string;
}

/**
 * Opens an incident, or adds a repeat to the open one for the same program, condition and
 * department. signalWithStart does both in one call: a running workflow counts the signal,
 * a closed (or absent) one starts anew, so a resolved condition that comes back is a new incident.
 * Pass a stable raiseId from a retried caller: the workflow ignores a raise it has seen.
 */
export async function raiseIncident(client: Client, taskQueue: string, input: RaiseIncidentInput): Promise<RaisedIncident> {
  const parsed = IncidentInput.parse({ ...input, raiseId: input.raiseId ?? randomUUID() });
  const workflowId = workflowIds.incident(parsed.programId, parsed.condition, incidentDeptKey(parsed.departments));
  const handle = await client.workflow.signalWithStart<IncidentWorkflow, [{ raiseId: string; counts: typeof parsed.counts }]>(
    incidentWorkflowType,
    {
      workflowId,
      taskQueue,
      args: [parsed],
      signal: alertRepeatedSignal,
      signalArgs: [{ raiseId: parsed.raiseId, counts: parsed.counts }],
      // Set at start rather than upserted by the workflow: the Web UI's GoliveProgram filter finds
      // incidents too, and recorded incident histories replay unchanged.
      typedSearchAttributes: [
        { key: GoliveProgram, value: parsed.programId },
        ...(parsed.departments.length ? [{ key: GoliveDepartment, value: parsed.departments }] : []),
      ],
    },
  );
  return { workflowId, runId: handle.signaledRunId, raiseId: parsed.raiseId };
}

export async function getRota(pool: Pool, programId: string, name: string): Promise<Rota | null> {
  const { rows } = await pool.query<{ rota: unknown }>('SELECT rota FROM oncall_rotas WHERE program_id = $1 AND name = $2', [
    programId,
    name,
  ]);
  return rows[0] ? Rota.parse(rows[0].rota) : null;
}

export async function putRota(pool: Pool, programId: string, name: string, rota: Rota, by: string): Promise<void> {
  await pool.query(
    `INSERT INTO oncall_rotas (program_id, name, rota, updated_by) VALUES ($1, $2, $3, $4)
     ON CONFLICT (program_id, name) DO UPDATE SET rota = EXCLUDED.rota, updated_by = EXCLUDED.updated_by, updated_at = now()`,
    [programId, name, JSON.stringify(rota), by],
  );
}

/** The program's escalation policy: one set through the API wins, else the plan's own ladder in the hospital's zone. */
export async function getPolicy(pool: Pool, programId: string): Promise<EscalationPolicy | null> {
  const { rows } = await pool.query<{ policy: unknown }>('SELECT policy FROM escalation_policies WHERE program_id = $1', [programId]);
  if (rows[0]) return EscalationPolicy.parse(rows[0].policy);
  const plan = await pool.query<{ plan: Plan }>('SELECT plan FROM program WHERE id = $1', [programId]);
  const stored = plan.rows[0]?.plan;
  return stored ? EscalationPolicy.parse({ ...stored.escalation, timeZone: stored.hospital.timeZone }) : null;
}

export async function putPolicy(pool: Pool, programId: string, policy: EscalationPolicy, by: string): Promise<void> {
  await pool.query(
    `INSERT INTO escalation_policies (program_id, policy, updated_by) VALUES ($1, $2, $3)
     ON CONFLICT (program_id) DO UPDATE SET policy = EXCLUDED.policy, updated_by = EXCLUDED.updated_by, updated_at = now()`,
    [programId, JSON.stringify(policy), by],
  );
}
