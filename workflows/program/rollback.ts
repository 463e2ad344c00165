/** Rollback: departments or a wave return to the legacy system, their steps undone in reverse. */
import { programUpdates } from '../../domain/program-contract';
import { ErrorType } from '../../domain/errors';
import { rollbackAllowed, rollbackBlocker } from '../../domain/program';
import { departmentView } from '../../domain/program-status';
import { type RollbackReport } from '../../domain/rollout';
import { refuse, type ProgramContext } from './context';

export async function onRollbackReport(ctx: ProgramContext, report: RollbackReport) {
  const d = ctx.s.departments[report.department];
  if (!d || report.rollback !== d.rollbacks || d.state !== 'rolling-back') return;
  d.completedSteps = report.remaining;
  if (report.outcome === 'rolled-back') {
    ctx.setDepartment(d, 'rolled-back', `rollback ${report.rollback}`);
    await ctx.audit('workflow', 'department.rolled-back', { department: d.code }, 'rolled-back', undefined, { rollback: report.rollback });
    return;
  }
  d.rollbackFailure = { stepId: report.failure!.stepId, reason: report.failure!.reason, atMs: ctx.now() };
  ctx.setDepartment(d, 'rollback-failed', `compensation of ${report.failure!.stepId} failed`);
  await ctx.audit(
    'workflow',
    'department.rollback-failed',
    { department: d.code, step: report.failure!.stepId },
    'rollback-failed',
    report.failure!.reason,
    { remaining: report.remaining },
  );
  // A failed compensation is an emergency, never a silent warning.
  await ctx.raise('compensation-failed', 'sev1', [d.code], { failedCompensations: 1 });
}

export function registerRollbackHandlers(ctx: ProgramContext) {
  const { s, plan } = ctx;

  ctx.handle(programUpdates.rollBack, {
    check: ({ departments, wave }) => {
      if (s.phase === 'completed' || s.phase === 'aborted') ctx.invalidState(`the program is ${s.phase}`);
      if (wave !== undefined && !plan.waves[wave - 1]) refuse(ErrorType.InvalidInput, `no wave ${wave} in this plan`);
      const codes: string[] = departments ?? plan.waves[wave! - 1]!.departments;
      const unknown = codes.filter((c) => !s.departments[c]);
      if (unknown.length) refuse(ErrorType.InvalidInput, `no department ${unknown.join(', ')} in this plan`);
      const blocker = rollbackBlocker(s, codes);
      if (blocker) ctx.invalidState(blocker);
    },
    run: async ({ actor, departments, wave, reason }) => {
      const codes: string[] = departments ?? plan.waves[wave! - 1]!.departments;
      const targets = codes.map((c) => s.departments[c]!).filter((d) => rollbackAllowed(d));
      await ctx.audit(actor, 'rollback.requested', { departments: codes.join(',') }, 'rolling-back', reason, { wave: wave ?? null });
      for (const d of targets) await ctx.rollBack(d, `rollback by ${actor.personId}`);
      return codes.map((c) => departmentView(s.departments[c]!));
    },
  });

  ctx.handle(programUpdates.markStepUndone, {
    check: ({ department, stepId }) => {
      const d = s.departments[department];
      if (!d) refuse(ErrorType.InvalidInput, `no department ${department} in this plan`);
      if (d.state !== 'rollback-failed' || d.rollbackFailure?.stepId !== stepId) {
        ctx.invalidState(
          `${department} has no failed compensation of step ${stepId} (it is ${d.state}${d.rollbackFailure ? `; failed step ${d.rollbackFailure.stepId}` : ''})`,
        );
      }
    },
    run: async ({ actor, department, stepId, reason }) => {
      const d = s.departments[department]!;
      d.completedSteps = d.completedSteps.filter((id) => id !== stepId);
      d.rollbackFailure = undefined;
      await ctx.audit(actor, 'rollback.step-undone-by-hand', { department, step: stepId }, 'undone-by-hand', reason);
      if (d.completedSteps.length) await ctx.startRollback(d, `rollback continues after ${stepId} was undone by hand`);
      else {
        ctx.setDepartment(d, 'rolled-back', `${stepId} undone by hand`);
        await ctx.audit('workflow', 'department.rolled-back', { department }, 'rolled-back');
      }
      return departmentView(d);
    },
  });
}
