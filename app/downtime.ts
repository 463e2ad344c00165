import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import type { DowntimeCall, HospitalAdapter } from '../adapters/hospital';

/** Counts and the packet's opaque id: nothing of the packet's content returns to the workflow. */
export interface DowntimePacketSummary {
  packetId: string;
  census: number;
  activeOrders: number;
  pendingResults: number;
}

/**
 * Puts a department on downtime procedures through its hospital system and keeps its downtime
 * packet (the system's snapshot and the paper forms). Idempotent: a repeated call switches again
 * (the system sees the same key) and finds the packet the first one made.
 */
export async function enterDowntime(
  pool: Pool,
  system: HospitalAdapter,
  call: DowntimeCall,
  forms: string[],
): Promise<DowntimePacketSummary> {
  const existing = await pool.query<{ id: string; census_count: number; active_orders_count: number; pending_results_count: number }>(
    'SELECT id, census_count, active_orders_count, pending_results_count FROM downtime_packet WHERE program_id = $1 AND emergency = $2 AND department = $3',
    [call.programId, call.emergency, call.department],
  );
  const snapshot = await system.enterDowntime(call);
  const row = existing.rows[0];
  if (row)
    return { packetId: row.id, census: row.census_count, activeOrders: row.active_orders_count, pendingResults: row.pending_results_count };
  const packetId = randomUUID();
  await pool.query(
    `INSERT INTO downtime_packet (id, program_id, emergency, department, as_of, census_count, active_orders_count, pending_results_count, forms, content)
     VALUES ($1, $2, $3, $4, now(), $5, $6, $7, $8, $9) ON CONFLICT (program_id, emergency, department) DO NOTHING`,
    [
      packetId,
      call.programId,
      call.emergency,
      call.department,
      snapshot.census.length,
      snapshot.activeOrders.length,
      snapshot.pendingResults.length,
      forms,
      { ...snapshot, forms },
    ],
  );
  return {
    packetId,
    census: snapshot.census.length,
    activeOrders: snapshot.activeOrders.length,
    pendingResults: snapshot.pendingResults.length,
  };
}
