import { createHash } from 'node:crypto';
import type { Pool } from 'pg';
import { ErrorType } from '../../domain/errors';
import type { SimulatedFailure } from '../../domain/plan';
import { patient, PATIENT_POOL } from './demo-patients';
import { AdapterFailure, type DowntimeCall, type DowntimeSnapshot, type HospitalAdapter, type StepCall, type StepOutcome } from './types';

/**
 * The demo hospital's last good data for a department: a deterministic census with active orders
 * and pending results (synthetic patients, realistic names), as a real system's snapshot would be.
 */
export function simulatedSnapshot(programId: string, department: string): DowntimeSnapshot {
  const seed = createHash('sha256').update(`${programId}/${department}`).digest().readUInt32BE(0);
  const census = Array.from({ length: 6 + (seed % 10) }, (_, i) => {
    const p = patient(1 + ((seed + i * 7919) % PATIENT_POOL));
    return {
      bed: `${department}-${String(i + 1).padStart(2, '0')}`,
      patientId: p.id,
      mrn: p.mrn,
      name: p.newName.trim(),
      sex: p.sex,
      birthDate: p.birthDate,
    };
  });
  const activeOrders = census.flatMap((c, i) =>
    i % 2 === 0 ? [{ patientId: c.patientId, order: 'medication', detail: 'per medication administration record' }] : [],
  );
  const pendingResults = census.flatMap((c, i) =>
    i % 3 === 0 ? [{ patientId: c.patientId, test: 'CBC', orderedAt: 'before downtime' }] : [],
  );
  return { census, activeOrders, pendingResults };
}

/**
 * The demo hospital's systems. State lives in PostgreSQL (tables simulated_system_step and
 * simulated_downtime) so the demo shows what was switched, and scripted failures from the plan
 * make failures reproducible: "reject" refuses for good, "transient" fails the first N attempts
 * of a call and then works.
 */
export function createSimulatedAdapter(pool: Pool, sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))): HospitalAdapter {
  const setDowntime = async (call: DowntimeCall, state: 'downtime' | 'normal') => {
    if (call.adapter.kind !== 'simulated') throw new Error('not a simulated adapter');
    await pool.query(
      `INSERT INTO simulated_downtime (program_id, department, state) VALUES ($1, $2, $3)
       ON CONFLICT (program_id, department) DO UPDATE SET state = EXCLUDED.state, updated_at = now()`,
      [call.programId, call.department, state],
    );
  };
  return {
    async enterDowntime(call: DowntimeCall): Promise<DowntimeSnapshot> {
      await setDowntime(call, 'downtime');
      return simulatedSnapshot(call.programId, call.department);
    },
    async leaveDowntime(call: DowntimeCall): Promise<void> {
      await setDowntime(call, 'normal');
    },
    async run(call: StepCall): Promise<StepOutcome> {
      const adapter = call.adapter;
      if (adapter.kind !== 'simulated') throw new Error('not a simulated adapter');
      if (call.dryRun) return { reference: `dry-run:${call.department}:${call.step.id}`, alreadyDone: false, dryRun: true };
      if (adapter.delayMs) await sleep(adapter.delayMs);
      const { rows } = await pool.query<{ attempts: number; applied: boolean }>(
        `INSERT INTO simulated_system_call (idempotency_key, program_id, department, step_id, direction, attempts)
         VALUES ($1, $2, $3, $4, $5, 1)
         ON CONFLICT (idempotency_key) DO UPDATE SET attempts = simulated_system_call.attempts + 1
         RETURNING attempts, applied`,
        [call.idempotencyKey, call.programId, call.department, call.step.id, call.direction],
      );
      const { attempts, applied } = rows[0]!;
      if (applied) return { alreadyDone: true };
      const rules = call.direction === 'do' ? adapter.failSteps : adapter.failCompensations;
      const rule = rules.find(
        (f: SimulatedFailure) => f.step === call.step.id && (f.department === undefined || f.department === call.department),
      );
      const label = `${call.step.system} refused ${call.direction} ${call.step.id}`;
      if (rule?.mode === 'reject') throw new AdapterFailure(ErrorType.AdapterRejected, label);
      if (rule?.mode === 'transient' && attempts <= rule.times)
        throw new Error(`${call.step.system} unavailable (simulated, attempt ${attempts})`);
      await pool.query(`UPDATE simulated_system_call SET applied = true, applied_at = now() WHERE idempotency_key = $1`, [
        call.idempotencyKey,
      ]);
      await pool.query(
        `INSERT INTO simulated_system_step (program_id, department, step_id, system, state, updated_at)
         VALUES ($1, $2, $3, $4, $5, now())
         ON CONFLICT (program_id, department, step_id) DO UPDATE SET state = EXCLUDED.state, updated_at = now()`,
        [call.programId, call.department, call.step.id, call.step.system, call.direction === 'do' ? 'applied' : 'undone'],
      );
      return { reference: `sim:${call.department}:${call.step.id}`, alreadyDone: false };
    },
  };
}
