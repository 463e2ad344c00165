/** Waves and departments: the pilot and the expansion waves go live, department by department. */
import { programUpdates } from '../../domain/program-contract';
import { ErrorType } from '../../domain/errors';
import { openGateKey, retryBlocker, waveStartBlocker, type DepartmentRuntime } from '../../domain/program';
import type { RunSummary } from '../../domain/runbook-run';
import { departmentView, programStatus, waveView } from '../../domain/program-status';
import type { DepartmentReport } from '../../domain/rollout';
import { refuse, type ProgramContext } from './context';

/** A department's go-live reported: live (and maybe its whole wave), or a step failed. */
export async function onDepartmentReport(ctx: ProgramContext, report: DepartmentReport) {
  const { s } = ctx;
  const d = s.departments[report.department];
  // A late report of an earlier attempt changes nothing.
  if (!d || report.attempt !== d.attempt) return;
  if (d.rollbackPending) {
    d.completedSteps = report.completedSteps;
    return ctx.startRollback(d, `go-live stopped after ${report.completedSteps.length} steps`);
  }
  if (d.state !== 'going-live') return;
  d.completedSteps = report.completedSteps;
  if (report.outcome === 'live') {
    // Its steps are done; with a runbook the night goes on (conversion, sign-offs) until the run ends.
    if (d.runbook && d.runbook.status !== 'finished') {
      d.awaitingRunbook = true;
      await ctx.audit('workflow', 'department.steps-done', { department: d.code, runId: d.runbook.runId }, 'awaiting-runbook', undefined, {
        attempt: d.attempt,
      });
      return;
    }
    await departmentLive(ctx, d);
  } else {
    d.failure = { stepId: report.failure!.stepId, reason: report.failure!.reason, atMs: ctx.now() };
    d.history.push({ atMs: ctx.now(), state: d.state, attempt: d.attempt, note: `step ${report.failure!.stepId} failed` });
    await ctx.audit(
      'workflow',
      'department.step-failed',
      { department: d.code, step: report.failure!.stepId },
      'failed',
      report.failure!.reason,
      { attempt: d.attempt },
    );
    await onStepFailed(ctx, d);
  }
}

/** The department counts as live: its steps done (and its night's runbook finished, where it has one). */
async function departmentLive(ctx: ProgramContext, d: DepartmentRuntime) {
  const { s, plan } = ctx;
  d.awaitingRunbook = false;
  ctx.setDepartment(d, 'live-parallel');
  await ctx.audit('workflow', 'department.live', { department: d.code }, 'live-parallel', undefined, { attempt: d.attempt });
  const wave = s.waves[d.wave - 1]!;
  const codes = plan.waves[d.wave - 1]!.departments;
  if (wave.status === 'going-live' && codes.every((c) => s.departments[c]!.state === 'live-parallel')) {
    wave.status = 'live';
    wave.wentLiveAtMs = ctx.now();
    await ctx.audit('workflow', 'wave.live', { wave: String(wave.wave) }, 'live');
    await ctx.parallelRunScope(wave);
  }
}

/**
 * A runbook run finished: kept for the gates' rehearsal criterion (the latest 20); a department's
 * live night that finished makes the department live once its steps are done too. A rehearsal
 * touches no department: it only adds evidence.
 */
export async function onRunbookRunFinished(ctx: ProgramContext, run: RunSummary & { department?: string }) {
  const { s } = ctx;
  const { department, ...summary } = run;
  s.runbookRuns = [...(s.runbookRuns ?? []).filter((r) => r.runId !== summary.runId), summary].slice(-20);
  const open = openGateKey(s);
  if (open) s.gates[open]!.criteria = ctx.criteriaFor(open);
  await ctx.audit('workflow', 'runbook.run-reported', { runId: summary.runId, runbookId: summary.runbookId }, summary.mode, undefined, {
    minutesOverWindow: summary.minutesOverWindow,
    validationsNotPassed: summary.validationsNotPassed,
    ...(department ? { department } : {}),
  });
  const d = department && summary.mode === 'live' ? s.departments[department] : undefined;
  if (!d || d.runbook?.runId !== summary.runId) return;
  d.runbook.status = 'finished';
  if (d.awaitingRunbook && d.state === 'going-live') await departmentLive(ctx, d);
}

/** The plan decides: roll back at once, or ask the lead first (the default). */
async function onStepFailed(ctx: ProgramContext, d: DepartmentRuntime) {
  await ctx.raise('step-failed', 'sev2', [d.code], { failedSteps: 1, attempts: d.attempt });
  if (ctx.plan.policies.onFailedStep === 'auto-rollback') {
    await ctx.audit(
      'workflow',
      'rollback.automatic',
      { department: d.code },
      'rolling-back',
      `step ${d.failure!.stepId} failed; policy auto-rollback`,
    );
    await ctx.startRollback(d, 'automatic rollback after a failed step');
  }
}

export function registerWaveHandlers(ctx: ProgramContext) {
  const { s, plan } = ctx;

  ctx.handle(programUpdates.startWave, {
    check: ({ wave }) => {
      const blocker = waveStartBlocker(plan, s, wave, ctx.now());
      if (blocker) ctx.invalidState(`cannot start wave ${wave}: ${blocker}`);
    },
    run: async ({ actor, wave: n, comment }) => {
      const wave = s.waves[n - 1]!;
      wave.status = 'going-live';
      wave.startedAtMs = ctx.now();
      s.activeWave = n;
      ctx.setPhase('wave-active');
      await ctx.audit(actor, 'wave.started', { wave: String(n) }, 'going-live', comment, { departments: plan.waves[n - 1]!.departments });
      for (const code of plan.waves[n - 1]!.departments) await ctx.startDepartment(s.departments[code]!);
      return waveView(plan, wave);
    },
  });

  ctx.handle(programUpdates.retryDepartment, {
    check: ({ department }) => {
      if (!s.departments[department]) refuse(ErrorType.InvalidInput, `no department ${department} in this plan`);
      const blocker = retryBlocker(s, department);
      if (blocker) ctx.invalidState(blocker);
    },
    run: async ({ actor, department, reason }) => {
      const d = s.departments[department]!;
      await ctx.audit(actor, 'department.retry', { department }, 'going-live', reason, { attempt: d.attempt + 1 });
      await ctx.startDepartment(d);
      return departmentView(d);
    },
  });

  ctx.handle(programUpdates.complete, {
    check: () => {
      if (s.gates.final?.status !== 'go') ctx.invalidState('the final gate has not said go');
      if (s.phase === 'completed') ctx.invalidState('the program is completed');
    },
    run: async ({ actor, comment }) => {
      for (const d of Object.values(s.departments)) if (d.state === 'live-parallel') ctx.setDepartment(d, 'cut-over', 'legacy retired');
      for (const w of s.waves) w.status = 'exited';
      ctx.setPhase('completed');
      await ctx.audit(actor, 'program.completed', {}, 'completed', comment);
      return programStatus(plan, s, ctx.now());
    },
  });
}
