/**
 * The program's state and the decisions made on it, as pure functions of (plan, state, now):
 * what the lead may do next and why not (the views the status query returns are built in
 * program-status.ts). The program workflow (workflows/program/) owns the state and changes it;
 * nothing here needs Temporal.
 */
import type { Plan } from './plan';
import type { DepartmentState, EmergencyView, GateView, ProgramPhase, WaveView } from './rollout';
import { evaluateCriteria, type CriterionResult, type Evidence } from './rules/criteria';
import { exitGateKey, gateKeys, gateOf, gateScope, type GateKey, type GateState } from './rules/gates';
import { canStartWave, exitGateAllowedAt } from './rules/time';
import { runSettings, type NightSummary } from './parallel-run';
import { compactNights, type NightArchive } from './parallel-run-archive';
import { finalGateReady } from './parallel-run-nights';
import { minimumEndMs } from './parallel-run-schedule';
import type { RunSummary } from './runbook-report';

export interface GateRuntime {
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

export interface DepartmentRuntime {
  code: string;
  wave: number;
  state: DepartmentState;
  attempt: number;
  completedSteps: string[];
  failure?: { stepId: string; reason: string; atMs: number };
  /** The department's live runbook run (its plan names a runbook): it counts as live once the run finished. */
  runbook?: { runId: string; status: 'running' | 'finished' | 'failed' | 'cancelled'; reason?: string };
  /** Its steps are done and it waits for its runbook run to finish before it counts as live. */
  awaitingRunbook?: boolean;
  /** Rollbacks started so far (numbers the rollback workflows). */
  rollbacks: number;
  /** A rollback asked for while a go-live step ran: starts when the go-live reports. */
  rollbackPending?: boolean;
  rollbackFailure?: { stepId: string; reason: string; atMs: number };
  history: { atMs: number; state: DepartmentState; attempt: number; note?: string }[];
}

export interface WaveRuntime {
  wave: number;
  status: WaveView['status'];
  startedAtMs?: number;
  wentLiveAtMs?: number;
}

export interface EmergencyRuntime {
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

/** E-mails decided by a handler, sent by the workflow's mail loop after the handler answered. */
export interface QueuedMail {
  personIds: string[];
  /** Idempotency key prefix: the same mail queued twice (or resent after a restart) goes out once. */
  keyPrefix: string;
  /** The mail template and its fields (activities/mail/templates.ts checks them when it renders). */
  message: { template: string } & Record<string, unknown>;
  /** What the emergency timeline says once it is out (emergency notices only). */
  emergency?: number;
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
  parallelRun: {
    started: boolean;
    /** The latest business days' comparisons (NIGHTS_KEPT); older ones are counted in `archive`. */
    nights: NightSummary[];
    archive?: NightArchive;
    extendedUntilMs: number | null;
    critical: { domain: string; onCritical: string }[];
  };
  emergencies: number;
  emergency?: EmergencyRuntime;
  migrationVerifications: number;
  /** The latest finished runbook runs (rehearsals and nights) as their runs reported them (absent in states from before). */
  runbookRuns?: RunSummary[];
  /** Mails not yet handed to SMTP (absent in states carried from before the mail queue). */
  outbox?: QueuedMail[];
}

export const iso = (ms: number) => new Date(ms).toISOString();

export function initialState(plan: Plan): ProgramState {
  const departments: Record<string, DepartmentRuntime> = {};
  plan.waves.forEach((w, i) => {
    for (const code of w.departments)
      departments[code] = { code, wave: i + 1, state: 'legacy', attempt: 0, completedSteps: [], rollbacks: 0, history: [] };
  });
  const gates = Object.fromEntries(
    gateKeys(plan).map((k) => [
      k,
      { status: 'closed', round: 0, criteria: [], overdue: false, evidenceHashes: {}, overrideReasons: {} } satisfies GateRuntime,
    ]),
  );
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
    outbox: [],
  };
}

export const isFinished = (s: ProgramState) => s.phase === 'completed' || s.phase === 'aborted';
export const openGateKey = (s: ProgramState): GateKey | undefined =>
  (Object.keys(s.gates) as GateKey[]).find((k) => s.gates[k]!.status === 'open');
export const emergencyOpen = (s: ProgramState) => !!s.emergency && s.emergency.closedAtMs === undefined;
export const rollbackAllowed = (d: DepartmentRuntime) => ['live-parallel', 'going-live', 'rollback-failed'].includes(d.state);
const startedWaves = (s: ProgramState) => s.waves.filter((w) => w.status !== 'pending').length;
export const lastWave = (s: ProgramState) => s.waves[s.waves.length - 1]!;

export function criteriaFor(plan: Plan, s: ProgramState, key: GateKey, nowMs: number): CriterionResult[] {
  const gate = gateOf(plan, key);
  return gate ? evaluateCriteria(gate.criteria, s.evidence, { nowMs, departments: gateScope(plan, key), runs: s.runbookRuns }) : [];
}

/** Why a gate may not be requested now, or null. */
export function gateRequestBlocker(plan: Plan, s: ProgramState, key: GateKey, nowMs: number): string | null {
  const g = s.gates[key];
  if (!g) return `no gate ${key} in this plan`;
  if (s.phase === 'paused' || isFinished(s)) return `the program is ${s.phase}`;
  const open = openGateKey(s);
  if (open) return `gate ${open} is open`;
  if (g.status === 'go') return `gate ${key} already said go`;
  if (key === 'readiness') return startedWaves(s) > 0 ? 'the pilot has started' : null;
  if (key === 'final') {
    const last = lastWave(s);
    if (s.gates[exitGateKey(last.wave)]!.status !== 'go') return `the last wave's exit gate (${exitGateKey(last.wave)}) has not said go`;
    const verdict = finalGateReady(s.parallelRun.nights, plan.parallelRun, last.wentLiveAtMs!, nowMs, s.parallelRun.extendedUntilMs);
    return verdict.ready ? null : verdict.reasons.join('; ');
  }
  const wave = s.waves[Number(key.slice(5)) - 1]!;
  if (wave.status !== 'live') return `wave ${wave.wave} is not live in every department`;
  const allowedAt = exitGateAllowedAt(plan.waves[wave.wave - 1]!, wave.wentLiveAtMs!);
  return nowMs < allowedAt ? `wave ${wave.wave} must run until ${iso(allowedAt)} before its exit gate` : null;
}

/** Why wave n may not start now, or null. */
export function waveStartBlocker(plan: Plan, s: ProgramState, n: number, nowMs: number): string | null {
  const wave = s.waves[n - 1];
  if (!wave) return `no wave ${n} in this plan`;
  if (s.phase !== 'readiness' && s.phase !== 'wave-active') return `the program is ${s.phase}`;
  if (wave.status !== 'pending') return `wave ${n} has started already`;
  if (n !== startedWaves(s) + 1) return `wave ${startedWaves(s) + 1} is next`;
  const gate: GateKey = n === 1 ? 'readiness' : exitGateKey(n - 1);
  if (s.gates[gate]!.status !== 'go') return `gate ${gate} has not said go`;
  const check = canStartWave(plan.waves[n - 1]!, plan.hospital.timeZone, nowMs);
  if (!check.ok) return `${check.reason}${check.nextAllowedAtMs ? `; next allowed start ${iso(check.nextAllowedAtMs)}` : ''}`;
  return null;
}

/** Why these departments may not be rolled back, or null; asking again while a rollback runs is idempotent. */
export function rollbackBlocker(s: ProgramState, codes: string[]): string | null {
  // Rolling back what never went live (or went live and was rolled back already) is refused.
  const refused = codes.filter((c) => !rollbackAllowed(s.departments[c]!) && s.departments[c]!.state !== 'rolling-back');
  return refused.length ? `nothing to roll back in ${refused.map((c) => `${c} (${s.departments[c]!.state})`).join(', ')}` : null;
}

/** Why a department's go-live may not be retried now, or null. */
export function retryBlocker(s: ProgramState, code: string): string | null {
  const d = s.departments[code]!;
  const failed = d.state === 'going-live' && d.failure;
  if (!failed && d.state !== 'rolled-back')
    return `department ${code} is ${d.state}${d.state === 'going-live' ? ' and has not failed' : ''}`;
  if (s.phase === 'paused') return 'the program is paused';
  if (isFinished(s)) return `the program is ${s.phase}`;
  return null;
}

/** The names of what may be done now (the status's allowedActions). */
export function allowedActions(plan: Plan, s: ProgramState, nowMs: number): string[] {
  const actions: string[] = [];
  if (isFinished(s)) return actions;
  actions.push('record-evidence');
  for (const key of gateKeys(plan)) if (!gateRequestBlocker(plan, s, key, nowMs)) actions.push(`request-gate:${key}`);
  for (const w of s.waves) if (!waveStartBlocker(plan, s, w.wave, nowMs)) actions.push(`start-wave:${w.wave}`);
  const open = openGateKey(s);
  if (open) actions.push(`decide-gate:${open}`);
  for (const d of Object.values(s.departments)) {
    if ((d.state === 'going-live' && d.failure) || d.state === 'rolled-back') actions.push(`retry-department:${d.code}`);
    if (rollbackAllowed(d)) actions.push(`roll-back:${d.code}`);
    if (d.state === 'rollback-failed' && d.rollbackFailure) actions.push(`mark-undone:${d.code}:${d.rollbackFailure.stepId}`);
  }
  if (s.gates.final?.status === 'go') actions.push('complete');
  if (s.phase === 'paused' && !emergencyOpen(s)) actions.push('resume');
  actions.push('declare-emergency');
  if (emergencyOpen(s)) {
    const e = s.emergency!;
    actions.push('record-backlog');
    if (e.restoredAtMs === undefined) actions.push('restore-systems');
    else if (e.departments.every((c) => e.backlog[c] === 0)) actions.push('close-emergency');
  }
  for (const code of s.emergency && !emergencyOpen(s) ? s.emergency.pausedGoLives : []) actions.push(`resume-department:${code}`);
  if (s.parallelRun.started) actions.push('extend-parallel-run', 'compare-again');
  return actions;
}

/**
 * The next moment after `nowMs` at which the allowed actions change by the clock alone (an exit
 * gate's minimum run ends, a blackout ends, the parallel run's minimum ends), or undefined. The
 * workflow wakes then, so its state shows the action at that moment, not at its next event.
 */
export function nextClockChange(plan: Plan, s: ProgramState, nowMs: number): number | undefined {
  if (isFinished(s)) return undefined;
  const moments: number[] = [];
  for (const w of s.waves) {
    if (w.status === 'live' && w.wentLiveAtMs !== undefined && s.gates[exitGateKey(w.wave)]?.status !== 'go')
      moments.push(exitGateAllowedAt(plan.waves[w.wave - 1]!, w.wentLiveAtMs));
    if (w.status === 'pending') {
      const check = canStartWave(plan.waves[w.wave - 1]!, plan.hospital.timeZone, nowMs);
      if (!check.ok && check.nextAllowedAtMs) moments.push(check.nextAllowedAtMs);
    }
  }
  const last = lastWave(s);
  if (last.wentLiveAtMs !== undefined && s.gates.final?.status !== 'go')
    moments.push(minimumEndMs(plan.parallelRun, last.wentLiveAtMs, s.parallelRun.extendedUntilMs));
  const future = moments.filter((m) => m > nowMs);
  return future.length ? Math.min(...future) : undefined;
}

/** Records a night's comparison; the state keeps the latest business days whole and counts the rest. */
export function addNight(plan: Plan, s: ProgramState, night: NightSummary): void {
  s.parallelRun.nights.push(night);
  s.parallelRun.critical = night.criticalDomains;
  const domains = runSettings(plan.parallelRun).domains.map((d) => d.name);
  compactNights(
    s.parallelRun,
    domains,
    s.waves.map((w) => ({ wave: w.wave, liveAtMs: w.wentLiveAtMs })),
  );
}

/** A clean extra comparison of a window covering the whole downtime, in every domain. */
export const downtimeReconciled = (s: ProgramState, e: EmergencyRuntime) =>
  s.parallelRun.nights.some(
    (n) =>
      n.kind === 'extra' &&
      Date.parse(n.window.from) <= e.declaredAtMs &&
      Date.parse(n.window.to) >= e.restoredAtMs! &&
      n.perDomain.length > 0 &&
      n.perDomain.every((d) => d.status === 'clean'),
  );

/** Why the emergency may not be closed now, or null. */
export function closeEmergencyBlocker(s: ProgramState, reconciliation: 'comparison' | 'manual'): string | null {
  if (!emergencyOpen(s)) return 'no emergency is open';
  const e = s.emergency!;
  if (e.restoredAtMs === undefined) return 'restore the systems first';
  const open = e.departments.filter((c) => e.backlog[c] !== 0);
  if (open.length) return `back-entry is not finished: ${open.map((c) => `${c} ${e.backlog[c] ?? 'not reported'}`).join(', ')}`;
  if (reconciliation === 'comparison' && !downtimeReconciled(s, e)) {
    return 'no clean comparison of the downtime window yet: request one (parallel-run comparisons) or confirm by hand with a reason';
  }
  return null;
}

/** The people an emergency tells: its contacts, leadership and everyone on the escalation ladder. */
export const emergencyPeople = (plan: Plan) => [
  ...plan.emergency.contacts,
  ...plan.escalation.leadership,
  ...plan.escalation.levels.flatMap((l) => l.people),
];
