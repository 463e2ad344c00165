import {
  ActivityFailure,
  ApplicationFailure,
  isCancellation,
  ParentClosePolicy,
  patched,
  getExternalWorkflowHandle,
  allHandlersFinished,
  condition,
  continueAsNew,
  proxyActivities,
  setHandler,
  startChild,
  upsertSearchAttributes,
  uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import { ErrorType, nonRetryableErrorTypes } from '../domain/errors';
import { GolivePhase, GoliveProgram, GoliveWave } from '../domain/search-attributes';
import { workflowIds } from '../domain/ids';
import type { Condition, Counts, Severity } from '../domain/escalation';
import type { Plan } from '../domain/plan';
import {
  completeUpdate,
  decideGateUpdate,
  abortGoLiveSignal,
  departmentReportSignal,
  closeEmergencyUpdate,
  compareAgainUpdate,
  declareEmergencyUpdate,
  extendParallelRunUpdate,
  pauseStepsSignal,
  recordBacklogUpdate,
  restoreSystemsUpdate,
  resumeDepartmentUpdate,
  resumeStepsSignal,
  verifyMigrationUpdate,
  markStepUndoneUpdate,
  programStatusQuery,
  resumeProgramUpdate,
  rollBackUpdate,
  rollbackReportSignal,
  recordEvidenceUpdate,
  requestGateUpdate,
  retryDepartmentUpdate,
  startWaveUpdate,
  type Actor,
  type DepartmentReport,
  type RollbackReport,
  type DepartmentState,
  type DepartmentView,
  type EmergencyView,
  type GateView,
  type ParallelRunView,
  type ProgramPhase,
  type ProgramStatus,
  type WaveView,
} from '../domain/rollout';
import { evaluateCriteria, type CriterionResult, type Evidence } from '../domain/rules/criteria';
import { applyDecision, closeGate, exitGateKey, gateKeys, gateOf, gateOutcome, gateRejectionMessages, gateScope, openGate, type GateKey, type GateState } from '../domain/rules/gates';
import { canStartWave, exitGateAllowedAt } from '../domain/rules/time';
import {
  applyExtension,
  cleanStreaks,
  compareAgainSignal,
  endRunSignal,
  extendRunSignal,
  finalGateReady,
  minimumEndMs,
  nightComparedSignal,
  runSettings,
  scopeGrewSignal,
  trendSummary,
  waveNightsSince,
  type NightSummary,
} from '../domain/parallel-run';
import { migrationVerifiedSignal, type MigrationVerified } from '../domain/migration';
import { departmentGoLiveWorkflow } from './department';
import { verifyMigrationWorkflow } from './verify-migration';
import { parallelRunWorkflow } from './parallel-run';
import { rollbackWorkflow } from './rollback';

const { recordAudit, recordGateDecision } = proxyActivities<Activities>({
  // Single-row inserts into PostgreSQL: seconds at most, even under load.
  startToCloseTimeout: '30s',
  // The audit trail and decision records must not be lost: retry until PostgreSQL is back
  // (both activities are idempotent on their event key).
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m', nonRetryableErrorTypes },
});

const { enterDowntime, leaveDowntime } = proxyActivities<Activities>({
  // Switching a department's systems to downtime and building its packet: seconds.
  startToCloseTimeout: '1m',
  // An emergency must not wait on a broken adapter: three quick tries, then the failure is
  // shown on the emergency (the department's team switches by hand) and everything else goes on.
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '5s', maximumAttempts: 3, nonRetryableErrorTypes },
});

const { raiseIncident, notifyPeople } = proxyActivities<Activities>({
  // Starting an incident workflow or sending a handful of e-mails: seconds.
  startToCloseTimeout: '1m',
  // People must hear of it: retry until Temporal or SMTP answers again (both are idempotent:
  // the raise on its raise id, each e-mail on its key).
  retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '1m', nonRetryableErrorTypes },
});

const { notifyPeople: notifyEmergencyContacts } = proxyActivities<Activities>({
  startToCloseTimeout: '10s',
  // The declaration answers the person at the keyboard (and within the API's own timeout): with
  // SMTP away it must not wait on this e-mail. The sev1 incident, raised first, pages the ladder
  // and leadership and rides out the outage itself; this direct e-mail is tried for 10 s, then
  // the emergency shows it failed.
  scheduleToCloseTimeout: '10s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '4s', nonRetryableErrorTypes },
});

interface GateRuntime {
  status: GateView['status'];
  round: number;
  state?: GateState;
  criteria: CriterionResult[];
  overdue: boolean;
  /** By index into the round's decision history: the pure gate state only knows the flag. */
  evidenceHashes: Record<number, string>;
  overrideReasons: Record<number, string>;
  noGoReasons?: string[];
}

interface DepartmentRuntime {
  code: string;
  wave: number;
  state: DepartmentState;
  attempt: number;
  completedSteps: string[];
  failure?: { stepId: string; reason: string; atMs: number };
  /** Rollbacks started so far (numbers the rollback workflows). */
  rollbacks: number;
  /** A rollback asked for while a go-live step ran: starts when the go-live reports. */
  rollbackPending?: boolean;
  rollbackFailure?: { stepId: string; reason: string; atMs: number };
  history: { atMs: number; state: DepartmentState; attempt: number; note?: string }[];
}

interface WaveRuntime {
  wave: number;
  status: WaveView['status'];
  startedAtMs?: number;
  wentLiveAtMs?: number;
}

/** Everything the program knows; carried whole across continue-as-new. */
export interface ProgramState {
  phase: ProgramPhase;
  activeWave: number | null;
  evidence: Evidence;
  waves: WaveRuntime[];
  departments: Record<string, DepartmentRuntime>;
  gates: Record<GateKey, GateRuntime>;
  /** Counter for audit event keys, so each transition's key is unique and stable on replay. */
  seq: number;
  pausedReason?: string;
  /** The phase to return to when a pause ends. */
  pausedFrom?: ProgramPhase;
  parallelRun: { started: boolean; nights: NightSummary[]; extendedUntilMs: number | null; critical: { domain: string; onCritical: string }[] };
  emergencies: number;
  emergency?: EmergencyRuntime;
  migrationVerifications: number;
}

interface EmergencyRuntime {
  n: number;
  reason: string;
  declaredBy: string;
  departments: string[];
  declaredAtMs: number;
  restoredAtMs?: number;
  backlogClearedAtMs?: number;
  closedAtMs?: number;
  backlog: Record<string, number>;
  packets: EmergencyView['packets'];
  pausedGoLives: string[];
  timeline: { atMs: number; event: string; department?: string }[];
}

export interface ProgramInput {
  plan: Plan;
  createdBy: string;
  state?: ProgramState;
}

const iso = (ms: number) => new Date(ms).toISOString();

function refuse(type: (typeof ErrorType)[keyof typeof ErrorType], message: string, details?: Record<string, unknown>): never {
  throw ApplicationFailure.create({ type, message, nonRetryable: true, details: details ? [details] : undefined });
}

function initialState(plan: Plan): ProgramState {
  const departments: Record<string, DepartmentRuntime> = {};
  plan.waves.forEach((w, i) => {
    for (const code of w.departments) departments[code] = { code, wave: i + 1, state: 'legacy', attempt: 0, completedSteps: [], rollbacks: 0, history: [] };
  });
  const gates = Object.fromEntries(gateKeys(plan).map((k) => [k, { status: 'closed', round: 0, criteria: [], overdue: false, evidenceHashes: {}, overrideReasons: {} } satisfies GateRuntime]));
  return {
    phase: 'readiness',
    activeWave: null,
    evidence: {},
    waves: plan.waves.map((_, i) => ({ wave: i + 1, status: 'pending' })),
    departments,
    gates,
    seq: 0,
    parallelRun: { started: false, nights: [], extendedUntilMs: null, critical: [] },
    emergencies: 0,
    migrationVerifications: 0,
  };
}

/**
 * The spine of a cutover: one per program. It alone changes departments' states. The lead
 * drives it phase by phase through Updates (validators answer at once with the reason);
 * leadership decides the gates; department workflows report back by signal.
 */
export async function programWorkflow(input: ProgramInput): Promise<ProgramStatus> {
  const { plan } = input;
  const programId = plan.programId;
  const selfId = workflowInfo().workflowId;
  const s: ProgramState = input.state ?? initialState(plan);
  const now = () => Date.now();

  // ---------------------------------------------------------------- helpers

  const audit = async (actor: Actor | 'workflow', action: string, target: Record<string, string>, result: string, reason?: string, details?: Record<string, unknown>) => {
    s.seq += 1;
    await recordAudit({
      eventKey: `${selfId}:${s.seq}:${action}`,
      actor: actor === 'workflow' ? 'workflow:program' : actor.personId,
      roles: actor === 'workflow' ? undefined : actor.roles,
      action,
      target: { workflowId: selfId, programId, ...target },
      reason,
      result,
      details,
    });
  };

  /**
   * An incident on the plan's escalation ladder; a repeat of an open one only counts. False when
   * it could not be raised: the raise retries until Temporal answers, so only a refusal for good
   * (a non-retryable failure) lands here, and it is audited instead of holding the caller for ever.
   */
  const raise = async (condition: Condition, severity: Severity, departments: string[], counts: Counts): Promise<boolean> => {
    const raiseId = uuid4();
    let workflowId: string;
    try {
      ({ workflowId } = await raiseIncident({
        raiseId,
        programId,
        departments,
        condition,
        severity,
        counts,
        policy: { ...plan.escalation, timeZone: plan.hospital.timeZone },
        raisedBy: selfId,
      }));
    } catch (err) {
      if (isCancellation(err) || !(err instanceof ActivityFailure)) throw err;
      const type = err.cause instanceof ApplicationFailure ? (err.cause.type ?? 'failed') : 'failed';
      await audit('workflow', 'incident.not-raised', { raiseId, departments: departments.join(',') || 'all' }, 'failed', type, { condition, severity });
      return false;
    }
    await audit('workflow', 'incident.raised', { incidentWorkflowId: workflowId, raiseId, departments: departments.join(',') || 'all' }, 'raised', undefined, { condition, severity });
    return true;
  };

  const gateMail = async (key: GateKey, template: 'gate-opened' | 'gate-overdue' | 'gate-decided', extra: Record<string, unknown> = {}) => {
    const g = s.gates[key]!;
    const gate = gateOf(plan, key)!;
    await notifyPeople({
      personIds: gate.approvers.map((a) => a.personId),
      keyPrefix: `${selfId}/gate/${key}/${g.round}/${template}`,
      message: {
        template,
        gateId: key,
        gateKind: key.startsWith('exit-') ? 'exit' : key,
        programId,
        departments: gateScope(plan, key),
        since: iso(g.state!.openedAtMs),
        deadline: iso(g.state!.dueAtMs),
        timeZone: plan.hospital.timeZone,
        criteriaMet: g.criteria.filter((c) => c.verdict === 'pass').length,
        criteriaTotal: g.criteria.length,
        ...extra,
      } as Parameters<typeof notifyPeople>[0]['message'],
    });
  };

  const setPhase = (phase: ProgramPhase) => {
    s.phase = phase;
    upsertSearchAttributes([
      { key: GolivePhase, value: phase },
      { key: GoliveWave, value: s.activeWave ? s.activeWave : null },
    ]);
  };

  const setDepartment = (d: DepartmentRuntime, state: DepartmentState, note?: string) => {
    d.state = state;
    d.history.push({ atMs: now(), state, attempt: d.attempt, note });
  };

  const criteriaFor = (key: GateKey): CriterionResult[] => {
    const gate = gateOf(plan, key);
    return gate ? evaluateCriteria(gate.criteria, s.evidence, { nowMs: now(), departments: gateScope(plan, key) }) : [];
  };

  const openGateKey = (): GateKey | undefined => (Object.keys(s.gates) as GateKey[]).find((k) => s.gates[k]!.status === 'open');
  const startedWaves = () => s.waves.filter((w) => w.status !== 'pending').length;
  const lastWave = () => s.waves[s.waves.length - 1]!;

  /** Why a gate may not be requested now, or null. */
  const gateRequestBlocker = (key: GateKey): string | null => {
    const g = s.gates[key];
    if (!g) return `no gate ${key} in this plan`;
    if (s.phase === 'paused' || s.phase === 'completed' || s.phase === 'aborted') return `the program is ${s.phase}`;
    const open = openGateKey();
    if (open) return `gate ${open} is open`;
    if (g.status === 'go') return `gate ${key} already said go`;
    if (key === 'readiness') return startedWaves() > 0 ? 'the pilot has started' : null;
    if (key === 'final') {
      const last = lastWave();
      if (s.gates[exitGateKey(last.wave)]!.status !== 'go') return `the last wave's exit gate (${exitGateKey(last.wave)}) has not said go`;
      const verdict = finalGateReady(s.parallelRun.nights, plan.parallelRun, last.wentLiveAtMs!, now(), s.parallelRun.extendedUntilMs);
      return verdict.ready ? null : verdict.reasons.join('; ');
    }
    const wave = s.waves[Number(key.slice(5)) - 1]!;
    if (wave.status !== 'live') return `wave ${wave.wave} is not live in every department`;
    const allowedAt = exitGateAllowedAt(plan.waves[wave.wave - 1]!, wave.wentLiveAtMs!);
    return now() < allowedAt ? `wave ${wave.wave} must run until ${iso(allowedAt)} before its exit gate` : null;
  };

  /** Why wave n may not start now, or null. */
  const waveStartBlocker = (n: number): string | null => {
    const wave = s.waves[n - 1];
    if (!wave) return `no wave ${n} in this plan`;
    if (s.phase !== 'readiness' && s.phase !== 'wave-active') return `the program is ${s.phase}`;
    if (wave.status !== 'pending') return `wave ${n} has started already`;
    if (n !== startedWaves() + 1) return `wave ${startedWaves() + 1} is next`;
    const gate: GateKey = n === 1 ? 'readiness' : exitGateKey(n - 1);
    if (s.gates[gate]!.status !== 'go') return `gate ${gate} has not said go`;
    const check = canStartWave(plan.waves[n - 1]!, plan.hospital.timeZone, now());
    if (!check.ok) return `${check.reason}${check.nextAllowedAtMs ? `; next allowed start ${iso(check.nextAllowedAtMs)}` : ''}`;
    return null;
  };

  const allowedActions = (): string[] => {
    const actions: string[] = [];
    if (s.phase === 'completed' || s.phase === 'aborted') return actions;
    actions.push('record-evidence');
    for (const key of gateKeys(plan)) if (!gateRequestBlocker(key)) actions.push(`request-gate:${key}`);
    for (const w of s.waves) if (!waveStartBlocker(w.wave)) actions.push(`start-wave:${w.wave}`);
    const open = openGateKey();
    if (open) actions.push(`decide-gate:${open}`);
    for (const d of Object.values(s.departments)) {
      if ((d.state === 'going-live' && d.failure) || d.state === 'rolled-back') actions.push(`retry-department:${d.code}`);
      if (rollbackAllowed(d)) actions.push(`roll-back:${d.code}`);
      if (d.state === 'rollback-failed' && d.rollbackFailure) actions.push(`mark-undone:${d.code}:${d.rollbackFailure.stepId}`);
    }
    if (s.gates.final?.status === 'go') actions.push('complete');
    if (s.phase === 'paused' && !emergencyOpen()) actions.push('resume');
    actions.push('declare-emergency');
    if (emergencyOpen()) {
      const e = s.emergency!;
      actions.push('record-backlog');
      if (e.restoredAtMs === undefined) actions.push('restore-systems');
      else if (e.departments.every((c) => e.backlog[c] === 0)) actions.push('close-emergency');
    }
    for (const code of s.emergency && !emergencyOpen() ? s.emergency.pausedGoLives : []) actions.push(`resume-department:${code}`);
    if (s.parallelRun.started) actions.push('extend-parallel-run', 'compare-again');
    return actions;
  };

  const emergencyOpen = () => !!s.emergency && s.emergency.closedAtMs === undefined;
  const rollbackAllowed = (d: DepartmentRuntime) => ['live-parallel', 'going-live', 'rollback-failed'].includes(d.state);

  const invalidState = (message: string): never =>
    refuse(ErrorType.InvalidState, message, { phase: s.phase, activeWave: s.activeWave, allowedActions: allowedActions() });

  const requireRole = (actor: Actor, roles: string[]) => {
    if (!actor.roles.some((r) => roles.includes(r))) refuse(ErrorType.NotAllowed, `rejected: requires one of the roles ${roles.join(', ')}`);
  };

  const gateView = (key: GateKey): GateView => {
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
      criteria: g.status === 'closed' ? criteriaFor(key) : g.criteria,
      decisions: (g.state?.history ?? []).map((d, i, all) => {
        const earlier = all.slice(0, i).filter((x) => x.approverId === d.approverId).pop();
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
  };

  const departmentView = (d: DepartmentRuntime): DepartmentView => ({
    code: d.code,
    wave: d.wave,
    state: d.state,
    attempt: d.attempt,
    completedSteps: d.completedSteps,
    failure: d.failure ? { stepId: d.failure.stepId, reason: d.failure.reason, at: iso(d.failure.atMs) } : undefined,
    rollbackFailure: d.rollbackFailure ? { stepId: d.rollbackFailure.stepId, reason: d.rollbackFailure.reason, at: iso(d.rollbackFailure.atMs), remaining: d.completedSteps } : undefined,
    history: d.history.map((h) => ({ at: iso(h.atMs), state: h.state, attempt: h.attempt, note: h.note })),
  });

  const waveView = (w: WaveRuntime): WaveView => ({
    wave: w.wave,
    departments: plan.waves[w.wave - 1]!.departments,
    status: w.status,
    startedAt: w.startedAtMs ? iso(w.startedAtMs) : undefined,
    wentLiveAt: w.wentLiveAtMs ? iso(w.wentLiveAtMs) : undefined,
    exitGateAllowedAt: w.wentLiveAtMs ? iso(exitGateAllowedAt(plan.waves[w.wave - 1]!, w.wentLiveAtMs)) : undefined,
  });

  const status = (): ProgramStatus => ({
    programId,
    hospital: plan.hospital.name,
    timeZone: plan.hospital.timeZone,
    phase: s.phase,
    activeWave: s.activeWave,
    waves: s.waves.map(waveView),
    departments: Object.values(s.departments).map(departmentView),
    gates: gateKeys(plan).map(gateView),
    parallelRun: parallelRunView(),
    emergency: s.emergency ? emergencyView() : undefined,
    pausedReason: s.phase === 'paused' ? s.pausedReason : undefined,
    allowedActions: allowedActions(),
    updatedAt: iso(now()),
  });

  const domainNames = () => runSettings(plan.parallelRun).domains.map((d) => d.name);
  const parallelRunView = (): ParallelRunView => {
    const pr = s.parallelRun;
    const last = lastWave();
    const lastNight = pr.nights[pr.nights.length - 1];
    return {
      started: pr.started,
      nightsCompared: pr.nights.length,
      cleanStreak: cleanStreaks(pr.nights, domainNames()),
      lastNight: lastNight ? { businessDay: lastNight.businessDay, perDomain: lastNight.perDomain.map((d) => ({ domain: d.domain, status: d.status, differingKeys: d.differingKeys, mismatchRate: d.mismatchRate })) } : null,
      endsNoEarlierThan: last.wentLiveAtMs ? iso(minimumEndMs(plan.parallelRun, last.wentLiveAtMs, pr.extendedUntilMs)) : null,
      finalGateBlockers: last.wentLiveAtMs ? finalGateReady(pr.nights, plan.parallelRun, last.wentLiveAtMs, now(), pr.extendedUntilMs).reasons : ['the last wave is not live'],
      critical: pr.critical,
      trend: trendSummary(pr.nights, domainNames()),
      nightsSinceWaveLive: s.waves
        .filter((w) => w.wentLiveAtMs !== undefined)
        .map((w) => {
          const { compared, clean, warning, critical, failed } = waveNightsSince(pr.nights, w.wentLiveAtMs!, domainNames());
          return { wave: w.wave, compared, clean, warning, critical, failed };
        }),
    };
  };

  const parallelRunHandle = () => getExternalWorkflowHandle(workflowIds.parallelRun(programId));

  /** The parallel run starts with the pilot and grows with every wave. */
  const parallelRunScope = async (wave: WaveRuntime) => {
    const departments = plan.waves[wave.wave - 1]!.departments;
    if (!s.parallelRun.started) {
      s.parallelRun.started = true;
      await startChild(parallelRunWorkflow, {
        workflowId: workflowIds.parallelRun(programId),
        args: [{ programId, programWorkflowId: selfId, timeZone: plan.hospital.timeZone, settings: plan.parallelRun, scope: [{ wave: wave.wave, departments, liveAtMs: wave.wentLiveAtMs! }] }],
        // It reports by signal and must outlive this run when the program continues as new.
        parentClosePolicy: ParentClosePolicy.ABANDON,
      });
      await audit('workflow', 'parallel-run.started', { wave: String(wave.wave) }, 'started');
      return;
    }
    await parallelRunHandle().signal(scopeGrewSignal, { wave: wave.wave, departments, liveAtMs: wave.wentLiveAtMs! });
  };

  const pause = async (reason: string) => {
    if (s.phase === 'paused') return;
    s.pausedFrom = s.phase;
    s.pausedReason = reason;
    setPhase('paused');
    await audit('workflow', 'program.paused', {}, 'paused', reason);
  };

  const onNight = async (night: NightSummary) => {
    s.parallelRun.nights.push(night);
    s.parallelRun.critical = night.criticalDomains;
    await audit('workflow', 'parallel-run.night', { businessDay: night.businessDay }, night.criticalDomains.length ? 'critical' : 'compared', undefined, {
      perDomain: night.perDomain.map((d) => `${d.domain}:${d.status}:${d.differingKeys}`),
    });
    for (const c of night.criticalDomains) {
      // The incident is already on its way (the parallel run raised it); the plan adds what else happens.
      if (c.onCritical === 'pause') await pause(`critical comparison night ${night.businessDay} in ${c.domain}`);
      if (c.onCritical === 'propose-rollback') await audit('workflow', 'rollback.proposed', { domain: c.domain }, 'proposed', `critical comparison night ${night.businessDay}`);
    }
  };

  // ---------------------------------------------------------------- emergency: paper operation

  const mark = (e: EmergencyRuntime, event: string, department?: string) => e.timeline.push({ atMs: now(), event, department });

  const emergencyView = (): EmergencyView => {
    const e = s.emergency!;
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
      timeline: e.timeline.map((t) => ({ at: iso(t.atMs), event: t.event, department: t.department, sinceDeclaredMs: t.atMs - e.declaredAtMs })),
    };
  };

  /** The department's primary system: the adapter of its first go-live step. */
  const primaryAdapter = (code: string) => {
    const dept = plan.departments.find((x) => x.code === code)!;
    return plan.adapters.find((a) => a.id === dept.steps[0]!.adapter)!;
  };

  const emergencyPeople = () => [...plan.emergency.contacts, ...plan.escalation.leadership, ...plan.escalation.levels.flatMap((l) => l.people)];

  /** Back-entry is over when, after the systems are back, every department reported zero. */
  const checkBacklogCleared = (e: EmergencyRuntime) => {
    if (e.restoredAtMs === undefined || e.backlogClearedAtMs !== undefined) return;
    if (e.departments.every((c) => e.backlog[c] === 0)) {
      e.backlogClearedAtMs = now();
      mark(e, 'backlog-cleared');
    }
  };

  /** A clean extra comparison of a window covering the whole downtime, in every domain. */
  const downtimeReconciled = (e: EmergencyRuntime) =>
    s.parallelRun.nights.some(
      (n) => n.kind === 'extra' && Date.parse(n.window.from) <= e.declaredAtMs && Date.parse(n.window.to) >= e.restoredAtMs! && n.perDomain.length > 0 && n.perDomain.every((d) => d.status === 'clean'),
    );

  const startDepartment = async (d: DepartmentRuntime) => {
    d.attempt += 1;
    d.failure = undefined;
    setDepartment(d, 'going-live', `attempt ${d.attempt}`);
    const dept = plan.departments.find((x) => x.code === d.code)!;
    const adapterIds = new Set(dept.steps.map((st) => st.adapter));
    await startChild(departmentGoLiveWorkflow, {
      workflowId: workflowIds.departmentGoLive(programId, d.code, d.attempt),
      args: [{ programId, programWorkflowId: selfId, department: d.code, wave: d.wave, attempt: d.attempt, steps: dept.steps, adapters: plan.adapters.filter((a) => adapterIds.has(a.id)), skipSteps: d.completedSteps }],
      // The child reports by signal; it must outlive this run when the program continues as new.
      parentClosePolicy: ParentClosePolicy.ABANDON,
    });
  };

  const startRollback = async (d: DepartmentRuntime, note: string) => {
    d.rollbacks += 1;
    d.rollbackPending = false;
    d.rollbackFailure = undefined;
    setDepartment(d, 'rolling-back', note);
    const steps = plan.departments.find((x) => x.code === d.code)!.steps;
    const done = d.completedSteps.map((id) => steps.find((st) => st.id === id)!);
    const adapterIds = new Set(done.map((st) => st.adapter));
    await startChild(rollbackWorkflow, {
      workflowId: workflowIds.rollback(programId, d.code, d.rollbacks),
      args: [{ programId, programWorkflowId: selfId, department: d.code, attempt: d.attempt, rollback: d.rollbacks, done, adapters: plan.adapters.filter((a) => adapterIds.has(a.id)) }],
      parentClosePolicy: ParentClosePolicy.ABANDON,
    });
  };

  /** Rolls a department back; one still running a go-live step is stopped after that step first. */
  const rollBack = async (d: DepartmentRuntime, note: string) => {
    if (d.state === 'going-live' && !d.failure) {
      d.rollbackPending = true;
      setDepartment(d, 'rolling-back', `${note}; stopping the go-live after its current step`);
      await getExternalWorkflowHandle(workflowIds.departmentGoLive(programId, d.code, d.attempt)).signal(abortGoLiveSignal);
      return;
    }
    await startRollback(d, note);
  };

  // ---------------------------------------------------------------- messages

  setHandler(programStatusQuery, status);

  setHandler(
    recordEvidenceUpdate,
    async ({ actor, evidence, comment }) => {
      s.evidence = { ...s.evidence, ...evidence, training: { ...s.evidence.training, ...evidence.training } };
      const open = openGateKey();
      if (open) s.gates[open]!.criteria = criteriaFor(open);
      await audit(actor, 'evidence.recorded', {}, 'recorded', comment, { parts: Object.keys(evidence) });
      const target = open ?? gateKeys(plan).find((k) => s.gates[k]!.status !== 'go') ?? 'final';
      return { criteria: criteriaFor(target) };
    },
    { validator: ({ actor }) => requireRole(actor, ['lead', 'admin']) },
  );

  setHandler(
    requestGateUpdate,
    async ({ actor, gate: key, comment }) => {
      const g = s.gates[key]!;
      g.round += 1;
      g.status = 'open';
      g.overdue = false;
      g.noGoReasons = undefined;
      g.evidenceHashes = {};
      g.overrideReasons = {};
      g.state = openGate(key, gateOf(plan, key)!, now());
      g.criteria = criteriaFor(key);
      setPhase('gate-open');
      await audit(actor, 'gate.opened', { gate: key }, 'open', comment, { round: g.round, failingCriteria: g.criteria.filter((c) => c.verdict !== 'pass').map((c) => c.id) });
      await gateMail(key, 'gate-opened');
      return gateView(key);
    },
    {
      validator: ({ actor, gate: key }) => {
        requireRole(actor, ['lead', 'admin']);
        const blocker = gateRequestBlocker(key);
        if (blocker) invalidState(`cannot request gate ${key}: ${blocker}`);
      },
    },
  );

  setHandler(
    decideGateUpdate,
    async ({ actor, gate: key, decision, comment, override }) => {
      const g = s.gates[key]!;
      const result = applyDecision(g.state!, { approverId: actor.personId, verdict: decision, override: !!override, comment }, { atMs: now(), criteria: g.criteria });
      if (!result.ok) return invalidState(gateRejectionMessages[result.rejection]);
      if (result.change === 'unchanged') return gateView(key);
      g.state = result.state;
      const index = g.state.history.length - 1;
      if (override) g.overrideReasons[index] = override.reason;
      const outcome = gateOutcome(g.state, g.state.decisions);
      const decidedAtMs = now();
      if (outcome !== 'pending') {
        g.state = closeGate(g.state, decidedAtMs);
        g.status = outcome;
        if (outcome === 'no-go') {
          g.noGoReasons = g.state.decisions.filter((d) => d.verdict === 'no-go').map((d) => `${d.approverId}: ${d.comment ?? 'no comment'}`);
        }
        setPhase(s.activeWave === null ? 'readiness' : 'wave-active');
      }
      const { evidenceHash } = await recordGateDecision({
        eventKey: `${selfId}:${key}:${g.round}:${actor.personId}:${index}`,
        programId,
        gate: key,
        round: g.round,
        approverId: actor.personId,
        decision,
        comment,
        overrideReason: override?.reason,
        decidedAtMs,
        criteria: g.criteria,
        context: { departments: Object.fromEntries(Object.values(s.departments).map((d) => [d.code, d.state])), decisionsSoFar: g.state.decisions.map((d) => ({ approverId: d.approverId, verdict: d.verdict })) },
      });
      g.evidenceHashes[index] = evidenceHash;
      await audit(actor, result.change === 'changed' ? 'gate.decision-changed' : 'gate.decided', { gate: key }, decision, override?.reason ?? comment, { round: g.round, override: !!override, evidenceHash, outcome });
      if (outcome !== 'pending') {
        await audit('workflow', 'gate.closed', { gate: key }, outcome, undefined, { round: g.round });
        await gateMail(key, 'gate-decided', { decision: outcome, decidedBy: g.state.decisions.map((d) => d.approverId), overridden: g.state.decisions.some((d) => d.override) });
        if (key === 'final' && outcome === 'go' && s.parallelRun.started) await parallelRunHandle().signal(endRunSignal);
      }
      return gateView(key);
    },
    {
      validator: ({ actor, gate: key, decision, comment, override }) => {
        const g = s.gates[key];
        if (!g?.state) return invalidState(`gate ${key} has not been opened`);
        const result = applyDecision(g.state, { approverId: actor.personId, verdict: decision, override: !!override, comment }, { atMs: now(), criteria: g.criteria });
        if (result.ok) return;
        if (result.rejection === 'not-an-approver') refuse(ErrorType.NotAllowed, `rejected: ${actor.personId} is not an approver of gate ${key}`);
        if (result.rejection === 'override-required') {
          refuse(ErrorType.InvalidState, 'rejected: a criterion fails; a go needs an override with a reason', {
            failing: g.criteria.filter((c) => c.verdict !== 'pass').map((c) => ({ id: c.id, verdict: c.verdict, value: c.value, threshold: c.threshold })),
          });
        }
        invalidState(`rejected: ${gateRejectionMessages[result.rejection]} (${key}: ${g.status})`);
      },
    },
  );

  setHandler(
    startWaveUpdate,
    async ({ actor, wave: n, comment }) => {
      const wave = s.waves[n - 1]!;
      wave.status = 'going-live';
      wave.startedAtMs = now();
      s.activeWave = n;
      setPhase('wave-active');
      await audit(actor, 'wave.started', { wave: String(n) }, 'going-live', comment, { departments: plan.waves[n - 1]!.departments });
      for (const code of plan.waves[n - 1]!.departments) await startDepartment(s.departments[code]!);
      return waveView(wave);
    },
    {
      validator: ({ actor, wave }) => {
        requireRole(actor, ['lead', 'admin']);
        const blocker = waveStartBlocker(wave);
        if (blocker) invalidState(`cannot start wave ${wave}: ${blocker}`);
      },
    },
  );

  setHandler(
    retryDepartmentUpdate,
    async ({ actor, department, reason }) => {
      const d = s.departments[department]!;
      await audit(actor, 'department.retry', { department }, 'going-live', reason, { attempt: d.attempt + 1 });
      await startDepartment(d);
      return departmentView(d);
    },
    {
      validator: ({ actor, department }) => {
        requireRole(actor, ['lead', 'admin']);
        const d = s.departments[department];
        if (!d) refuse(ErrorType.InvalidInput, `no department ${department} in this plan`);
        const failed = d.state === 'going-live' && d.failure;
        if (!failed && d.state !== 'rolled-back') invalidState(`department ${department} is ${d.state}${d.state === 'going-live' ? ' and has not failed' : ''}`);
        if (s.phase === 'paused') invalidState('the program is paused');
      },
    },
  );

  setHandler(
    rollBackUpdate,
    async ({ actor, departments, wave, reason }) => {
      const codes: string[] = departments ?? plan.waves[wave! - 1]!.departments;
      const targets = codes.map((c) => s.departments[c]!).filter((d) => rollbackAllowed(d));
      await audit(actor, 'rollback.requested', { departments: codes.join(',') }, 'rolling-back', reason, { wave: wave ?? null });
      for (const d of targets) await rollBack(d, `rollback by ${actor.personId}`);
      return codes.map((c) => departmentView(s.departments[c]!));
    },
    {
      validator: ({ actor, departments, wave }) => {
        requireRole(actor, ['lead', 'admin']);
        if (s.phase === 'completed' || s.phase === 'aborted') invalidState(`the program is ${s.phase}`);
        if (wave !== undefined && !plan.waves[wave - 1]) refuse(ErrorType.InvalidInput, `no wave ${wave} in this plan`);
        const codes: string[] = departments ?? plan.waves[wave! - 1]!.departments;
        const unknown = codes.filter((c) => !s.departments[c]);
        if (unknown.length) refuse(ErrorType.InvalidInput, `no department ${unknown.join(', ')} in this plan`);
        // Asking again while a rollback runs is idempotent; rolling back what never went live is not.
        const refused = codes.filter((c) => !rollbackAllowed(s.departments[c]!) && s.departments[c]!.state !== 'rolling-back');
        if (refused.length) invalidState(`nothing to roll back in ${refused.map((c) => `${c} (${s.departments[c]!.state})`).join(', ')}`);
      },
    },
  );

  setHandler(
    markStepUndoneUpdate,
    async ({ actor, department, stepId, reason }) => {
      const d = s.departments[department]!;
      d.completedSteps = d.completedSteps.filter((id) => id !== stepId);
      d.rollbackFailure = undefined;
      await audit(actor, 'rollback.step-undone-by-hand', { department, step: stepId }, 'undone-by-hand', reason);
      if (d.completedSteps.length) await startRollback(d, `rollback continues after ${stepId} was undone by hand`);
      else {
        setDepartment(d, 'rolled-back', `${stepId} undone by hand`);
        await audit('workflow', 'department.rolled-back', { department }, 'rolled-back');
      }
      return departmentView(d);
    },
    {
      validator: ({ actor, department, stepId }) => {
        requireRole(actor, ['lead', 'admin']);
        const d = s.departments[department];
        if (!d) refuse(ErrorType.InvalidInput, `no department ${department} in this plan`);
        if (d.state !== 'rollback-failed' || d.rollbackFailure?.stepId !== stepId) {
          invalidState(`${department} has no failed compensation of step ${stepId} (it is ${d.state}${d.rollbackFailure ? `; failed step ${d.rollbackFailure.stepId}` : ''})`);
        }
      },
    },
  );

  setHandler(
    resumeProgramUpdate,
    async ({ actor, reason }) => {
      s.pausedReason = undefined;
      setPhase(s.pausedFrom ?? 'readiness');
      await audit(actor, 'program.resumed', {}, s.phase, reason);
      return status();
    },
    {
      validator: ({ actor }) => {
        requireRole(actor, ['lead', 'admin']);
        if (s.phase !== 'paused') invalidState('the program is not paused');
        if (emergencyOpen()) invalidState('an emergency is open: end it first');
      },
    },
  );

  setHandler(
    declareEmergencyUpdate,
    async ({ actor, departments, reason }) => {
      if (!emergencyOpen()) {
        s.emergencies += 1;
        s.emergency = { n: s.emergencies, reason, declaredBy: actor.personId, departments: [], declaredAtMs: now(), backlog: {}, packets: {}, pausedGoLives: [], timeline: [] };
        mark(s.emergency, 'declared');
        await pause(`emergency ${s.emergency.n}: ${reason}`);
        s.pausedReason = `emergency ${s.emergency.n}: ${reason}`;
      }
      const e = s.emergency!;
      const added = (departments ?? plan.departments.map((d) => d.code)).filter((c) => !e.departments.includes(c));
      // Declaring again, or for departments already on paper, changes nothing.
      if (!added.length) return emergencyView();
      e.departments.push(...added);
      await audit(actor, 'emergency.declared', { emergency: String(e.n), departments: added.join(',') }, 'paper', reason);
      for (const code of added) {
        const d = s.departments[code]!;
        if (d.state === 'going-live' && !d.failure) {
          await getExternalWorkflowHandle(workflowIds.departmentGoLive(programId, code, d.attempt)).signal(pauseStepsSignal);
          e.pausedGoLives.push(code);
          mark(e, 'go-live-paused', code);
        }
      }
      await Promise.all(
        added.map(async (code) => {
          try {
            e.packets[code] = await enterDowntime({ programId, emergency: e.n, department: code, adapter: primaryAdapter(code), forms: plan.emergency.downtimeForms });
            mark(e, 'downtime-entered', code);
          } catch {
            e.packets[code] = { error: 'the system could not be switched: switch by hand and print the forms' };
            mark(e, 'downtime-failed', code);
          }
        }),
      );
      // Raised before the e-mail to the contacts (patched: histories from before sent first, with no bound).
      const raiseFirst = patched('emergency-raise-first');
      if (raiseFirst && !(await raise('emergency-declared', 'sev1', added, { departments: added.length }))) mark(e, 'incident-not-raised');
      const notice = {
        personIds: emergencyPeople(),
        keyPrefix: `${selfId}/emergency/${e.n}/${e.departments.length}`,
        message: { template: 'emergency-declared' as const, programId, departments: added, condition: 'emergency-declared' as const, declaredBy: actor.personId, since: iso(e.declaredAtMs), timeZone: plan.hospital.timeZone },
      };
      const told = (result: Awaited<ReturnType<typeof notifyPeople>>) => {
        mark(e, 'notified');
        // Results recorded before `rejected` existed lack it.
        if (result.rejected?.length) mark(e, `mail refused for ${result.rejected.length}`);
      };
      try {
        told(await (raiseFirst ? notifyEmergencyContacts : notifyPeople)(notice));
      } catch (err) {
        // Refused for good, or SMTP away past the bound: shown on the emergency; the sev1
        // incident pages the ladder. Everyone must still hear of it: the same e-mails (same
        // keys, so none is sent twice) are retried without a bound, after the declaration has
        // answered, and the timeline says "notified" once they are out.
        if (isCancellation(err) || !(err instanceof ActivityFailure)) throw err;
        mark(e, 'notify-failed');
        const type = (err.cause as { type?: string } | undefined)?.type;
        if (!type || !(nonRetryableErrorTypes as readonly string[]).includes(type)) void notifyPeople(notice).then(told, () => mark(e, 'notify-failed'));
      }
      if (!raiseFirst && !(await raise('emergency-declared', 'sev1', added, { departments: added.length }))) mark(e, 'incident-not-raised');
      return emergencyView();
    },
    {
      validator: ({ actor, departments }) => {
        requireRole(actor, ['lead', 'oncall', 'admin']);
        if (s.phase === 'completed' || s.phase === 'aborted') invalidState(`the program is ${s.phase}`);
        const unknown = (departments ?? []).filter((c: string) => !s.departments[c]);
        if (unknown.length) refuse(ErrorType.InvalidInput, `no department ${unknown.join(', ')} in this plan`);
      },
    },
  );

  setHandler(
    recordBacklogUpdate,
    async ({ actor, department, paperRecords }) => {
      const e = s.emergency!;
      e.backlog[department] = paperRecords;
      mark(e, `backlog ${paperRecords}`, department);
      await audit(actor, 'emergency.backlog', { emergency: String(e.n), department }, String(paperRecords));
      checkBacklogCleared(e);
      return emergencyView();
    },
    {
      validator: ({ actor, department }) => {
        requireRole(actor, ['lead', 'oncall', 'admin']);
        if (!emergencyOpen()) invalidState('no emergency is open');
        if (!s.emergency!.departments.includes(department)) invalidState(`${department} is not on paper`);
      },
    },
  );

  setHandler(
    restoreSystemsUpdate,
    async ({ actor, reason }) => {
      const e = s.emergency!;
      for (const code of e.departments) {
        try {
          await leaveDowntime({ programId, department: code, adapter: primaryAdapter(code) });
        } catch {
          mark(e, 'restore-failed', code);
        }
      }
      e.restoredAtMs = now();
      mark(e, 'restored');
      await audit(actor, 'emergency.restored', { emergency: String(e.n) }, 'restored', reason);
      checkBacklogCleared(e);
      return emergencyView();
    },
    {
      validator: ({ actor }) => {
        requireRole(actor, ['lead', 'oncall', 'admin']);
        if (!emergencyOpen()) invalidState('no emergency is open');
        if (s.emergency!.restoredAtMs !== undefined) invalidState('the systems are restored already');
      },
    },
  );

  setHandler(
    closeEmergencyUpdate,
    async ({ actor, reconciliation, reason }) => {
      const e = s.emergency!;
      e.closedAtMs = now();
      mark(e, `closed (${reconciliation} reconciliation)`);
      await audit(actor, 'emergency.closed', { emergency: String(e.n) }, 'closed', reason, { reconciliation, downtimeMs: e.restoredAtMs! - e.declaredAtMs });
      s.pausedReason = undefined;
      setPhase(s.pausedFrom ?? 'readiness');
      const entered = Object.values(e.backlog).reduce((a, b) => a + b, 0);
      await notifyPeople({
        personIds: emergencyPeople(),
        keyPrefix: `${selfId}/emergency/${e.n}/all-clear`,
        message: { template: 'all-clear', programId, departments: e.departments, since: iso(e.declaredAtMs), endedAt: iso(e.closedAtMs), timeZone: plan.hospital.timeZone, declaredBy: actor.personId, backEnteredRecords: entered },
      });
      return emergencyView();
    },
    {
      validator: ({ actor, reconciliation }) => {
        requireRole(actor, ['lead', 'admin']);
        if (!emergencyOpen()) invalidState('no emergency is open');
        const e = s.emergency!;
        if (e.restoredAtMs === undefined) invalidState('restore the systems first');
        const open = e.departments.filter((c) => e.backlog[c] !== 0);
        if (open.length) invalidState(`back-entry is not finished: ${open.map((c) => `${c} ${e.backlog[c] ?? 'not reported'}`).join(', ')}`);
        if (reconciliation === 'comparison' && !downtimeReconciled(e)) {
          invalidState('no clean comparison of the downtime window yet: request one (parallel-run comparisons) or confirm by hand with a reason');
        }
      },
    },
  );

  setHandler(
    resumeDepartmentUpdate,
    async ({ actor, department, reason }) => {
      const d = s.departments[department]!;
      await getExternalWorkflowHandle(workflowIds.departmentGoLive(programId, department, d.attempt)).signal(resumeStepsSignal);
      s.emergency!.pausedGoLives = s.emergency!.pausedGoLives.filter((c) => c !== department);
      await audit(actor, 'department.resumed', { department }, 'going-live', reason);
      return departmentView(d);
    },
    {
      validator: ({ actor, department }) => {
        requireRole(actor, ['lead', 'admin']);
        if (emergencyOpen()) invalidState('the emergency is still open');
        if (!s.emergency?.pausedGoLives.includes(department)) invalidState(`${department} has no paused go-live`);
      },
    },
  );

  setHandler(
    verifyMigrationUpdate,
    async ({ actor, comment }) => {
      s.migrationVerifications += 1;
      const n = s.migrationVerifications;
      const workflowId = workflowIds.verifyMigration(programId, n);
      await startChild(verifyMigrationWorkflow, {
        workflowId,
        args: [{ programId, programWorkflowId: selfId, n, domains: runSettings(plan.parallelRun).domains, window: { from: '1970-01-01T00:00:00.000Z', to: iso(now()) }, departments: plan.departments.map((d) => d.code) }],
        // Hours of work on big tables; it reports by signal and outlives a continue-as-new.
        parentClosePolicy: ParentClosePolicy.ABANDON,
      });
      await audit(actor, 'migration.verification-started', { verification: String(n) }, 'running', comment);
      return { n, workflowId };
    },
    {
      validator: ({ actor }) => {
        requireRole(actor, ['lead', 'admin']);
        if (!runSettings(plan.parallelRun).domains.length) invalidState('the plan names no comparison domains to verify the migration with');
      },
    },
  );

  setHandler(
    extendParallelRunUpdate,
    async (input) => {
      const last = lastWave();
      const base = last.wentLiveAtMs ? minimumEndMs(plan.parallelRun, last.wentLiveAtMs, s.parallelRun.extendedUntilMs) : now();
      s.parallelRun.extendedUntilMs = applyExtension(base, input);
      await parallelRunHandle().signal(extendRunSignal, input);
      await audit(input.actor, 'parallel-run.extended', {}, iso(s.parallelRun.extendedUntilMs), input.reason);
      return parallelRunView();
    },
    {
      validator: ({ actor }) => {
        requireRole(actor, ['lead', 'admin']);
        if (!s.parallelRun.started) invalidState('the parallel run has not started');
        if (s.phase === 'completed') invalidState('the program is completed');
      },
    },
  );

  setHandler(
    compareAgainUpdate,
    async (input) => {
      await parallelRunHandle().signal(compareAgainSignal, input);
      await audit(input.actor, 'parallel-run.compare-again', {}, 'requested', input.reason, { businessDay: input.businessDay ?? null, window: input.window ?? null });
      return parallelRunView();
    },
    {
      validator: ({ actor }) => {
        requireRole(actor, ['lead', 'admin']);
        if (!s.parallelRun.started) invalidState('the parallel run has not started');
      },
    },
  );

  setHandler(
    completeUpdate,
    async ({ actor, comment }) => {
      for (const d of Object.values(s.departments)) if (d.state === 'live-parallel') setDepartment(d, 'cut-over', 'legacy retired');
      for (const w of s.waves) w.status = 'exited';
      setPhase('completed');
      await audit(actor, 'program.completed', {}, 'completed', comment);
      return status();
    },
    {
      validator: ({ actor }) => {
        requireRole(actor, ['lead', 'admin']);
        if (s.gates.final?.status !== 'go') invalidState('the final gate has not said go');
        if (s.phase === 'completed') invalidState('the program is completed');
      },
    },
  );

  const reports: (DepartmentReport | RollbackReport)[] = [];
  setHandler(departmentReportSignal, (report) => void reports.push(report));
  setHandler(rollbackReportSignal, (report) => void reports.push(report));
  const nights: NightSummary[] = [];
  setHandler(nightComparedSignal, (night) => void nights.push(night));
  const verifications: MigrationVerified[] = [];
  setHandler(migrationVerifiedSignal, (v) => void verifications.push(v));

  /** A finished verification is the readiness gate's "migration verified" evidence, computed. */
  const onMigrationVerified = async (v: MigrationVerified) => {
    s.evidence = { ...s.evidence, migration: { verified: v.verified, verifiedAt: v.verifiedAt } };
    const open = openGateKey();
    if (open) s.gates[open]!.criteria = criteriaFor(open);
    await audit('workflow', 'migration.verified', { verification: String(v.n) }, v.verified ? 'verified' : 'differences', undefined, { differingKeys: v.differingKeys, rowsCompared: v.rowsCompared });
  };

  const handleRollbackReport = async (report: RollbackReport) => {
    const d = s.departments[report.department];
    if (!d || report.rollback !== d.rollbacks || d.state !== 'rolling-back') return;
    d.completedSteps = report.remaining;
    if (report.outcome === 'rolled-back') {
      setDepartment(d, 'rolled-back', `rollback ${report.rollback}`);
      await audit('workflow', 'department.rolled-back', { department: d.code }, 'rolled-back', undefined, { rollback: report.rollback });
      return;
    }
    d.rollbackFailure = { stepId: report.failure!.stepId, reason: report.failure!.reason, atMs: now() };
    setDepartment(d, 'rollback-failed', `compensation of ${report.failure!.stepId} failed`);
    await audit('workflow', 'department.rollback-failed', { department: d.code, step: report.failure!.stepId }, 'rollback-failed', report.failure!.reason, { remaining: report.remaining });
    await onRollbackFailed(d);
  };

  const handleReport = async (report: DepartmentReport | RollbackReport) => {
    if ('rollback' in report) return handleRollbackReport(report);
    const d = s.departments[report.department];
    // A late report of an earlier attempt changes nothing.
    if (!d || report.attempt !== d.attempt) return;
    if (d.rollbackPending) {
      d.completedSteps = report.completedSteps;
      return startRollback(d, `go-live stopped after ${report.completedSteps.length} steps`);
    }
    if (d.state !== 'going-live') return;
    d.completedSteps = report.completedSteps;
    if (report.outcome === 'live') {
      setDepartment(d, 'live-parallel');
      await audit('workflow', 'department.live', { department: d.code }, 'live-parallel', undefined, { attempt: d.attempt });
      const wave = s.waves[d.wave - 1]!;
      const codes = plan.waves[d.wave - 1]!.departments;
      if (wave.status === 'going-live' && codes.every((c) => s.departments[c]!.state === 'live-parallel')) {
        wave.status = 'live';
        wave.wentLiveAtMs = now();
        await audit('workflow', 'wave.live', { wave: String(wave.wave) }, 'live');
        await parallelRunScope(wave);
      }
    } else {
      d.failure = { stepId: report.failure!.stepId, reason: report.failure!.reason, atMs: now() };
      d.history.push({ atMs: now(), state: d.state, attempt: d.attempt, note: `step ${report.failure!.stepId} failed` });
      await audit('workflow', 'department.step-failed', { department: d.code, step: report.failure!.stepId }, 'failed', report.failure!.reason, { attempt: d.attempt });
      await onStepFailed(d);
    }
  };

  /** The plan decides: roll back at once, or ask the lead first (the default). */
  const onStepFailed = async (d: DepartmentRuntime) => {
    await raise('step-failed', 'sev2', [d.code], { failedSteps: 1, attempts: d.attempt });
    if (plan.policies.onFailedStep === 'auto-rollback') {
      await audit('workflow', 'rollback.automatic', { department: d.code }, 'rolling-back', `step ${d.failure!.stepId} failed; policy auto-rollback`);
      await startRollback(d, 'automatic rollback after a failed step');
    }
  };

  /** A failed compensation is an emergency, never a silent warning. */
  const onRollbackFailed = (d: DepartmentRuntime) => raise('compensation-failed', 'sev1', [d.code], { failedCompensations: 1 });

  // ---------------------------------------------------------------- main loop

  upsertSearchAttributes([
    { key: GoliveProgram, value: programId },
    { key: GolivePhase, value: s.phase },
  ]);
  if (!input.state) await audit({ personId: input.createdBy, roles: ['lead'] }, 'program.started', {}, 'readiness');

  while (s.phase !== 'completed' && s.phase !== 'aborted') {
    const open = openGateKey();
    const due = open && !s.gates[open]!.overdue ? s.gates[open]!.state!.dueAtMs : undefined;
    const woke = await condition(() => reports.length > 0 || nights.length > 0 || verifications.length > 0 || s.phase === 'completed' || openGateKey() !== open || workflowInfo().continueAsNewSuggested, due !== undefined ? Math.max(1, due - now()) : undefined);
    while (reports.length) await handleReport(reports.shift()!);
    while (nights.length) await onNight(nights.shift()!);
    while (verifications.length) await onMigrationVerified(verifications.shift()!);
    if (!woke && open && s.gates[open]!.status === 'open') {
      // A gate never decides by itself: past its deadline it stays open and is marked overdue.
      s.gates[open]!.overdue = true;
      await audit('workflow', 'gate.overdue', { gate: open }, 'overdue', undefined, { round: s.gates[open]!.round });
      await gateMail(open, 'gate-overdue', { minutesOverdue: 0 });
      await raise('gate-overdue', 'sev3', gateScope(plan, open), { minutesOverdue: 0 });
    }
    if (workflowInfo().continueAsNewSuggested) {
      await condition(allHandlersFinished);
      while (reports.length) await handleReport(reports.shift()!);
      while (nights.length) await onNight(nights.shift()!);
      while (verifications.length) await onMigrationVerified(verifications.shift()!);
      return continueAsNew<typeof programWorkflow>({ plan, createdBy: input.createdBy, state: s });
    }
  }
  await condition(allHandlersFinished);
  return status();
}
