import { createHash, randomUUID } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/activity';
import type { Pool } from 'pg';
import { ErrorType } from '../domain/errors';
import type { Adapter } from '../domain/plan';
import { patient, PATIENT_POOL } from '../scripts/demo-hospital/people';

export interface DowntimeInput {
  programId: string;
  emergency: number;
  department: string;
  adapter: Adapter;
  forms: string[];
}

/** Counts and the packet's opaque id: nothing of the packet's content returns to the workflow. */
export interface DowntimeResult {
  packetId: string;
  census: number;
  activeOrders: number;
  pendingResults: number;
}

/**
 * The demo hospital's last good data for a department: a deterministic census with active orders
 * and pending results (synthetic patients, realistic names), as a real adapter's snapshot would be.
 */
function simulatedSnapshot(programId: string, department: string) {
  const seed = createHash('sha256').update(`${programId}/${department}`).digest().readUInt32BE(0);
  const census = Array.from({ length: 6 + (seed % 10) }, (_, i) => {
    const p = patient(1 + ((seed + i * 7919) % PATIENT_POOL));
    return { bed: `${department}-${String(i + 1).padStart(2, '0')}`, patientId: p.id, mrn: p.mrn, name: p.newName.trim(), sex: p.sex, birthDate: p.birthDate };
  });
  const activeOrders = census.flatMap((c, i) => (i % 2 === 0 ? [{ patientId: c.patientId, order: 'medication', detail: 'per medication administration record' }] : []));
  const pendingResults = census.flatMap((c, i) => (i % 3 === 0 ? [{ patientId: c.patientId, test: 'CBC', orderedAt: 'before downtime' }] : []));
  return { census, activeOrders, pendingResults };
}

/**
 * Puts a department's systems into downtime (read-only new system with a banner, interfaces
 * queued) and builds its downtime packet. Idempotent: a retried call finds the packet it made.
 */
export function createDowntimeActivities({ pool }: { pool: Pool }) {
  const setState = (programId: string, department: string, state: 'downtime' | 'normal') =>
    pool.query(
      `INSERT INTO simulated_downtime (program_id, department, state) VALUES ($1, $2, $3)
       ON CONFLICT (program_id, department) DO UPDATE SET state = EXCLUDED.state, updated_at = now()`,
      [programId, department, state],
    );
  const requireSimulated = (adapter: Adapter) => {
    // Downtime endpoints of real systems differ per vendor; until a plan can name them, only the
    // simulated hospital is switched automatically and others are switched by their teams.
    if (adapter.kind !== 'simulated') throw ApplicationFailure.create({ type: ErrorType.AdapterRejected, nonRetryable: true, message: `adapter ${adapter.id} (${adapter.kind}) has no downtime operations` });
  };
  return {
    async enterDowntime(input: DowntimeInput): Promise<DowntimeResult> {
      requireSimulated(input.adapter);
      const existing = await pool.query<{ id: string; census_count: number; active_orders_count: number; pending_results_count: number }>(
        'SELECT id, census_count, active_orders_count, pending_results_count FROM downtime_packet WHERE program_id = $1 AND emergency = $2 AND department = $3',
        [input.programId, input.emergency, input.department],
      );
      await setState(input.programId, input.department, 'downtime');
      const row = existing.rows[0];
      if (row) return { packetId: row.id, census: row.census_count, activeOrders: row.active_orders_count, pendingResults: row.pending_results_count };
      const snapshot = simulatedSnapshot(input.programId, input.department);
      const packetId = randomUUID();
      await pool.query(
        `INSERT INTO downtime_packet (id, program_id, emergency, department, as_of, census_count, active_orders_count, pending_results_count, forms, content)
         VALUES ($1, $2, $3, $4, now(), $5, $6, $7, $8, $9) ON CONFLICT (program_id, emergency, department) DO NOTHING`,
        [packetId, input.programId, input.emergency, input.department, snapshot.census.length, snapshot.activeOrders.length, snapshot.pendingResults.length, input.forms, { ...snapshot, forms: input.forms }],
      );
      return { packetId, census: snapshot.census.length, activeOrders: snapshot.activeOrders.length, pendingResults: snapshot.pendingResults.length };
    },
    async leaveDowntime(input: Omit<DowntimeInput, 'forms' | 'emergency'>): Promise<void> {
      requireSimulated(input.adapter);
      await setState(input.programId, input.department, 'normal');
    },
  };
}
