import {
  allHandlersFinished,
  CancellationScope,
  condition,
  continueAsNew,
  isCancellation,
  patched,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { migrationVerifiedSignal, type MigrationVerified } from '../domain/migration';
import { endRunSignal, nightComparedSignal, type NightSummary } from '../domain/parallel-run';
import { initialState, isFinished, nextClockChange, openGateKey, type ProgramState } from '../domain/program';
import { programStatus } from '../domain/program-status';
import type { Plan } from '../domain/plan';
import {
  abortGoLiveSignal,
  departmentReportSignal,
  programStatusQuery,
  rollbackReportSignal,
  type DepartmentReport,
  type ProgramStatus,
  type RollbackReport,
} from '../domain/rollout';
import { GolivePhase, GoliveProgram } from '../domain/search-attributes';
import { ProgramContext } from './program/context';
import { registerEmergencyHandlers } from './program/emergency';
import { onMigrationVerified, registerEvidenceHandlers } from './program/evidence';
import { onGateOverdue, registerGateHandlers } from './program/gates';
import { mailLoop } from './program/mail';
import { onNight, registerParallelRunHandlers } from './program/parallel-run';
import { onRollbackReport, registerRollbackHandlers } from './program/rollback';
import { onDepartmentReport, onRunbookRunFinished, registerWaveHandlers } from './program/waves';
import { runbookRunFinishedSignal, type RunSummary } from '../domain/runbook-run';

export type { ProgramState } from '../domain/program';

export interface ProgramInput {
  plan: Plan;
  createdBy: string;
  state?: ProgramState;
}

/**
 * The spine of a cutover: one per program. It alone changes departments' states. The lead
 * drives it phase by phase through Updates (validators answer at once with the reason);
 * leadership decides the gates; department workflows report back by signal. Its handlers live
 * by area in workflows/program/; this function is the runbook that ties them together.
 */
export async function programWorkflow(input: ProgramInput): Promise<ProgramStatus> {
  // Decided once, at the start of a run (see ProgramContext.v2): runs from before keep their ways.
  const v2 = patched('program-entity');
  // The server's suggestion to continue as new comes with one workflow task; an activation after
  // it in the same run (a local activity's result, say) may read false again, and a run that checks
  // only then never continues. Once seen, it stands for the run. Runs from before read it live.
  const holdSuggestion = patched('continue-as-new-suggestion-held');
  let suggestedBefore = false;
  const continueAsNewSuggested = () => (suggestedBefore = workflowInfo().continueAsNewSuggested || (holdSuggestion && suggestedBefore));
  const { plan } = input;
  const s = input.state ?? initialState(plan);
  const ctx = new ProgramContext(plan, s, v2);

  setHandler(programStatusQuery, () => programStatus(plan, s, ctx.now()));
  registerEvidenceHandlers(ctx);
  registerGateHandlers(ctx);
  registerWaveHandlers(ctx);
  registerRollbackHandlers(ctx);
  registerEmergencyHandlers(ctx);
  registerParallelRunHandlers(ctx);

  // Facts from the children arrive by signal and are handled by the loop below, in order.
  const reports: (DepartmentReport | RollbackReport)[] = [];
  const nights: NightSummary[] = [];
  const verifications: MigrationVerified[] = [];
  const runbookRuns: (RunSummary & { department?: string })[] = [];
  setHandler(departmentReportSignal, (report) => void reports.push(report));
  setHandler(rollbackReportSignal, (report) => void reports.push(report));
  setHandler(nightComparedSignal, (night) => void nights.push(night));
  setHandler(migrationVerifiedSignal, (v) => void verifications.push(v));
  setHandler(runbookRunFinishedSignal, (run) => void runbookRuns.push(run));
  const handleEvents = async () => {
    while (reports.length) {
      const report = reports.shift()!;
      await ('rollback' in report ? onRollbackReport(ctx, report) : onDepartmentReport(ctx, report));
    }
    while (nights.length) await onNight(ctx, nights.shift()!);
    while (verifications.length) await onMigrationVerified(ctx, verifications.shift()!);
    while (runbookRuns.length) await onRunbookRunFinished(ctx, runbookRuns.shift()!);
  };

  upsertSearchAttributes([
    { key: GoliveProgram, value: plan.programId },
    { key: GolivePhase, value: s.phase },
  ]);
  if (!input.state) await ctx.audit({ personId: input.createdBy, roles: ['lead'] }, 'program.started', {}, 'readiness');
  if (v2)
    mailLoop(ctx).catch((err: unknown) => {
      if (!isCancellation(err)) throw err;
    });

  try {
    while (!isFinished(s)) {
      const open = openGateKey(s);
      const due = open && !s.gates[open]!.overdue ? s.gates[open]!.state!.dueAtMs : undefined;
      // Wake when an action becomes allowed by the clock alone, so the state shows it then.
      const clock = v2 ? nextClockChange(plan, s, ctx.now()) : undefined;
      const wake = due === undefined ? clock : clock === undefined ? due : Math.min(due, clock);
      const woke = await condition(
        () =>
          reports.length > 0 ||
          nights.length > 0 ||
          verifications.length > 0 ||
          runbookRuns.length > 0 ||
          s.phase === 'completed' ||
          openGateKey(s) !== open ||
          continueAsNewSuggested(),
        wake !== undefined ? Math.max(1, wake - ctx.now()) : undefined,
      );
      await ctx.exclusive(async () => {
        await handleEvents();
        const overdue = !woke && open && s.gates[open]!.status === 'open' && (!v2 || (due !== undefined && ctx.now() >= due));
        if (overdue) await onGateOverdue(ctx, open);
      });
      if (continueAsNewSuggested()) {
        await condition(allHandlersFinished);
        await ctx.exclusive(handleEvents);
        // Queued e-mails travel in the state; the next run sends them (keyed: none twice).
        return continueAsNew<typeof programWorkflow>({ plan, createdBy: input.createdBy, state: s });
      }
    }
  } catch (err) {
    if (v2 && isCancellation(err)) await CancellationScope.nonCancellable(() => abort(ctx));
    throw err;
  }
  await condition(allHandlersFinished);
  if (v2) await condition(() => !s.outbox?.length);
  return programStatus(plan, s, ctx.now());
}

/**
 * The program was cancelled: it ends `aborted`, and so do its children, so that nothing waits
 * on a program that is gone. Running go-lives stop after their current step (what they did stays
 * for the lead to roll back or finish by hand); the parallel run ends; rollbacks finish.
 */
async function abort(ctx: ProgramContext) {
  const { s } = ctx;
  ctx.setPhase('aborted');
  await ctx.audit('workflow', 'program.aborted', {}, 'aborted', 'the program workflow was cancelled');
  const goingLive = Object.values(s.departments).filter((d) => d.state === 'going-live' && !d.failure);
  const stops = goingLive.map((d) => ctx.goLiveHandle(d).signal(abortGoLiveSignal));
  if (s.parallelRun.started) stops.push(ctx.parallelRunHandle().signal(endRunSignal));
  // A child that has finished already cannot be signalled: nothing to stop there.
  await Promise.allSettled(stops);
}
