import { CancellationScope, getExternalWorkflowHandle, proxyActivities, upsertSearchAttributes } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { nonRetryableErrorTypes } from '../domain/errors';
import { GoliveDepartment, GoliveProgram } from '../domain/search-attributes';
import type { Adapter, Step } from '../domain/plan';
import { rollbackReportSignal, type RollbackReport } from '../domain/rollout';
import { describeFailure } from './department';

const { runStep } = proxyActivities<Activities>({
  // One call to a hospital system's admin API; 2 minutes bounds a hung call.
  startToCloseTimeout: '2m',
  // Compensations are idempotent (one key per step of the go-live attempt, the same on every
  // rollback try). Seven tries over about three minutes ride out a restart of the system;
  // past that a person must look: the department is marked rollback-failed and on-call is paged.
  retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '1m', maximumAttempts: 7, nonRetryableErrorTypes },
});

export interface RollbackInput {
  programId: string;
  programWorkflowId: string;
  department: string;
  /** The go-live attempt being undone. */
  attempt: number;
  rollback: number;
  /** The compensation stack: steps done, in go-live order; undone from the end. */
  done: Step[];
  adapters: Adapter[];
}

/**
 * Undoes a department's go-live steps in reverse order. Runs in a non-cancellable scope: a
 * half-undone department is worse than either end, so nobody can stop it half-way. A
 * compensation that still fails after its retries ends the rollback as rollback-failed with
 * what is still to undo; it is never skipped.
 */
export async function rollbackWorkflow(input: RollbackInput): Promise<RollbackReport> {
  upsertSearchAttributes([
    { key: GoliveProgram, value: input.programId },
    { key: GoliveDepartment, value: [input.department] },
  ]);
  const adapters = new Map(input.adapters.map((a) => [a.id, a]));
  const stack = [...input.done];
  const report = await CancellationScope.nonCancellable(async (): Promise<RollbackReport> => {
    while (stack.length) {
      const step = stack[stack.length - 1]!;
      try {
        await runStep({
          programId: input.programId,
          department: input.department,
          attempt: input.attempt,
          direction: 'undo',
          step,
          adapter: adapters.get(step.adapter)!,
          idempotencyKey: `${input.programId}/${input.department}/${input.attempt}/${step.id}/undo`,
        });
        stack.pop();
      } catch (err) {
        return base('rollback-failed', { stepId: step.id, reason: describeFailure(err) });
      }
    }
    return base('rolled-back');
  });
  await getExternalWorkflowHandle(input.programWorkflowId).signal(rollbackReportSignal, report);
  return report;

  function base(outcome: RollbackReport['outcome'], failure?: RollbackReport['failure']): RollbackReport {
    return {
      department: input.department,
      attempt: input.attempt,
      rollback: input.rollback,
      outcome,
      remaining: stack.map((s) => s.id),
      failure,
    };
  }
}
