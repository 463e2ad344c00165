/** The program's status query answer, built from the state as pure functions of (plan, state, now). */
import type { Plan } from './plan';
import { runSettings } from './parallel-run';
import { cleanStreaksWith, trendSummaryWith, waveCountsWith } from './parallel-run-archive';
import { finalGateReady } from './parallel-run-nights';
import { minimumEndMs } from './parallel-run-schedule';
import {
  allowedActions,
  criteriaFor,
  iso,
  lastWave,
  type DepartmentRuntime,
  type EmergencyRuntime,
  type ProgramState,
  type WaveRuntime,
} from './program';
import type { DepartmentView, EmergencyView, GateView, ParallelRunView, ProgramStatus, WaveView } from './rollout';
import { gateKeys, gateOf, type GateKey } from './rules/gates';
import { exitGateAllowedAt } from './rules/time';

export function gateView(plan: Plan, s: ProgramState, key: GateKey, nowMs: number): GateView {
  const g = s.gates[key]!;
  const gate = gateOf(plan, key)!;
  return {
    gate: key,
    status: g.status,
    round: g.round,
    openedAt: g.state ? iso(g.state.openedAtMs) : undefined,
    deadline: g.state ? iso(g.state.dueAtMs) : undefined,
    overdue: g.overdue,
    approvers: gate.approvers,
    rule: gate.rule,
    criteria: g.status === 'closed' ? criteriaFor(plan, s, key, nowMs) : g.criteria,
    decisions: (g.state?.history ?? []).map((d, i, all) => {
      const earlier = all
        .slice(0, i)
        .filter((x) => x.approverId === d.approverId)
        .pop();
      return {
        approverId: d.approverId,
        decision: d.verdict,
        comment: d.comment,
        overrideReason: g.overrideReasons[i],
        decidedAt: iso(d.atMs),
        evidenceHash: g.evidenceHashes[i] ?? 'pending',
        changedFrom: earlier?.verdict,
      };
    }),
    noGoReasons: g.noGoReasons,
    closedAt: g.state?.closedAtMs ? iso(g.state.closedAtMs) : undefined,
  };
}

export const departmentView = (d: DepartmentRuntime): DepartmentView => ({
  code: d.code,
  wave: d.wave,
  state: d.state,
  attempt: d.attempt,
  completedSteps: d.completedSteps,
  failure: d.failure ? { stepId: d.failure.stepId, reason: d.failure.reason, at: iso(d.failure.atMs) } : undefined,
  rollbackFailure: d.rollbackFailure
    ? { stepId: d.rollbackFailure.stepId, reason: d.rollbackFailure.reason, at: iso(d.rollbackFailure.atMs), remaining: d.completedSteps }
    : undefined,
  history: d.history.map((h) => ({ at: iso(h.atMs), state: h.state, attempt: h.attempt, note: h.note })),
  ...(d.runbook ? { runbook: { runId: d.runbook.runId, status: d.runbook.status, awaiting: !!d.awaitingRunbook } } : {}),
});

export const waveView = (plan: Plan, w: WaveRuntime): WaveView => ({
  wave: w.wave,
  departments: plan.waves[w.wave - 1]!.departments,
  status: w.status,
  startedAt: w.startedAtMs ? iso(w.startedAtMs) : undefined,
  wentLiveAt: w.wentLiveAtMs ? iso(w.wentLiveAtMs) : undefined,
  exitGateAllowedAt: w.wentLiveAtMs ? iso(exitGateAllowedAt(plan.waves[w.wave - 1]!, w.wentLiveAtMs)) : undefined,
});

/** The plan's domain titles by name, for the domains that have one. */
export const domainTitles = (plan: Plan): Record<string, string> =>
  Object.fromEntries(runSettings(plan.parallelRun).domains.flatMap((d) => (d.title ? [[d.name, d.title]] : [])));

export function parallelRunView(plan: Plan, s: ProgramState, nowMs: number): ParallelRunView {
  const pr = s.parallelRun;
  const last = lastWave(s);
  const lastNight = pr.nights[pr.nights.length - 1];
  const domains = runSettings(plan.parallelRun).domains.map((d) => d.name);
  const finalGate = last.wentLiveAtMs
    ? finalGateReady(pr.nights, plan.parallelRun, last.wentLiveAtMs, nowMs, pr.extendedUntilMs)
    : { reasons: ['the last wave is not live'], blocks: [{ kind: 'last-wave-not-live' as const }] };
  return {
    started: pr.started,
    nightsCompared: pr.nights.length + (pr.archive?.summaries ?? 0),
    cleanStreak: cleanStreaksWith(pr.nights, domains, pr.archive),
    lastNight: lastNight
      ? {
          businessDay: lastNight.businessDay,
          perDomain: lastNight.perDomain.map((d) => ({
            domain: d.domain,
            status: d.status,
            differingKeys: d.differingKeys,
            mismatchRate: d.mismatchRate,
          })),
        }
      : null,
    endsNoEarlierThan: last.wentLiveAtMs ? iso(minimumEndMs(plan.parallelRun, last.wentLiveAtMs, pr.extendedUntilMs)) : null,
    finalGateBlockers: finalGate.reasons,
    finalGateBlocks: finalGate.blocks,
    critical: pr.critical,
    trend: trendSummaryWith(pr.nights, domains, pr.archive),
    domainTitles: domainTitles(plan),
    nightsSinceWaveLive: s.waves
      .filter((w) => w.wentLiveAtMs !== undefined)
      .map((w) => waveCountsWith(pr.nights, w.wave, w.wentLiveAtMs!, domains, pr.archive)),
  };
}

export function emergencyView(e: EmergencyRuntime): EmergencyView {
  return {
    emergency: e.n,
    status: e.closedAtMs !== undefined ? 'closed' : e.restoredAtMs !== undefined ? 'restored' : 'open',
    reason: e.reason,
    declaredBy: e.declaredBy,
    departments: e.departments,
    declaredAt: iso(e.declaredAtMs),
    restoredAt: e.restoredAtMs !== undefined ? iso(e.restoredAtMs) : undefined,
    backlogClearedAt: e.backlogClearedAtMs !== undefined ? iso(e.backlogClearedAtMs) : undefined,
    closedAt: e.closedAtMs !== undefined ? iso(e.closedAtMs) : undefined,
    backlog: e.backlog,
    packets: e.packets,
    pausedGoLives: e.pausedGoLives,
    timeline: e.timeline.map((t) => ({
      at: iso(t.atMs),
      event: t.event,
      department: t.department,
      sinceDeclaredMs: t.atMs - e.declaredAtMs,
    })),
  };
}

export function programStatus(plan: Plan, s: ProgramState, nowMs: number): ProgramStatus {
  return {
    programId: plan.programId,
    hospital: plan.hospital.name,
    timeZone: plan.hospital.timeZone,
    phase: s.phase,
    activeWave: s.activeWave,
    waves: s.waves.map((w) => waveView(plan, w)),
    departments: Object.values(s.departments).map(departmentView),
    gates: gateKeys(plan).map((k) => gateView(plan, s, k, nowMs)),
    parallelRun: parallelRunView(plan, s, nowMs),
    emergency: s.emergency ? emergencyView(s.emergency) : undefined,
    pausedReason: s.phase === 'paused' ? s.pausedReason : undefined,
    allowedActions: allowedActions(plan, s, nowMs),
    updatedAt: iso(nowMs),
  };
}
