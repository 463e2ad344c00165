import { ApplicationFailure } from '@temporalio/activity';
import type { Pool } from 'pg';
import { ErrorType } from '../../domain/errors';
import type { SimulatedFailure } from '../../domain/plan';
import type { HospitalAdapter, StepCall, StepOutcome } from './types';

/**
 * The demo hospital's systems. State lives in PostgreSQL (table simulated_system_step) so the
 * demo shows what was switched, and scripted failures from the plan make failures reproducible:
 * "reject" refuses for good, "transient" fails the first N attempts of a call and then works.
 */
export function createSimulatedAdapter(pool: Pool, sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))): HospitalAdapter {
  return {
    async run(call: StepCall): Promise<StepOutcome> {
      const adapter = call.adapter;
      if (adapter.kind !== 'simulated') throw new Error('not a simulated adapter');
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
      const rule = rules.find((f: SimulatedFailure) => f.step === call.step.id && (f.department === undefined || f.department === call.department));
      const label = `${call.step.system} refused ${call.direction} ${call.step.id}`;
      if (rule?.mode === 'reject') throw ApplicationFailure.create({ type: ErrorType.AdapterRejected, nonRetryable: true, message: label });
      if (rule?.mode === 'transient' && attempts <= rule.times) throw new Error(`${call.step.system} unavailable (simulated, attempt ${attempts})`);
      await pool.query(
        `UPDATE simulated_system_call SET applied = true, applied_at = now() WHERE idempotency_key = $1`,
        [call.idempotencyKey],
      );
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
