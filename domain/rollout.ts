/**
 * The program's messages and state shapes, defined once for the workflows and the API.
 * Updates answer at once (validators reject with the reason); signals carry facts from the
 * department workflows; queries read the live state.
 */
import { defineQuery, defineSignal } from '@temporalio/workflow';
import { z } from 'zod';
import type { GateKey } from './rules/gates';
import type { CriterionResult } from './rules/criteria';
import type { DomainTrend } from './parallel-run';
import { programUpdates, type InputOf } from './program-contract';

export const DepartmentState = z.enum(['legacy', 'going-live', 'live-parallel', 'cut-over', 'rolling-back', 'rolled-back', 'rollback-failed']);
export type DepartmentState = z.infer<typeof DepartmentState>;

export const ProgramPhase = z.enum(['readiness', 'wave-active', 'gate-open', 'paused', 'completed', 'aborted']);
export type ProgramPhase = z.infer<typeof ProgramPhase>;

/** Who asks: one type for every workflow (domain/people.ts). */
export { Actor } from './people';

export { GateKey, exitGateKey } from './rules/gates';

// ------------------------------------------------------------------ update inputs (API bodies + path + actor)
// Each update's body, path parameters and roles are its contract (domain/program-contract.ts);
// the names below are the contracts' parts under the names the workflows import.

export {
  RecordEvidenceBody,
  RequestGateBody,
  StartWaveBody,
  DecideGateBody,
  RetryDepartmentBody,
  RollBackBody,
  MarkStepUndoneBody,
  CompleteBody,
  ResumeProgramBody,
  DeclareEmergencyBody,
  RecordBacklogBody,
  RestoreSystemsBody,
  CloseEmergencyBody,
  ResumeDepartmentBody,
  VerifyMigrationBody,
  programUpdates,
  roleRefusal,
  rolesFor,
} from './program-contract';

type U = typeof programUpdates;
export type RecordEvidenceInput = InputOf<U['recordEvidence']>;
export type RequestGateInput = InputOf<U['requestGate']>;
export type StartWaveInput = InputOf<U['startWave']>;
export type DecideGateInput = InputOf<U['decideGate']>;
export type RetryDepartmentInput = InputOf<U['retryDepartment']>;
export type CompleteInput = InputOf<U['complete']>;
export type RollBackInput = InputOf<U['rollBack']>;
export type ResumeProgramInput = InputOf<U['resumeProgram']>;
export type DeclareEmergencyInput = InputOf<U['declareEmergency']>;
export type RecordBacklogInput = InputOf<U['recordBacklog']>;
export type RestoreSystemsInput = InputOf<U['restoreSystems']>;
export type CloseEmergencyInput = InputOf<U['closeEmergency']>;
export type VerifyMigrationInput = InputOf<U['verifyMigration']>;
export type ResumeDepartmentInput = InputOf<U['resumeDepartment']>;
export type MarkStepUndoneInput = InputOf<U['markStepUndone']>;

// ------------------------------------------------------------------ state the queries return

export type { CriterionResult };

export interface GateDecisionView {
  approverId: string;
  decision: 'go' | 'no-go';
  comment?: string;
  overrideReason?: string;
  decidedAt: string;
  evidenceHash: string;
  /** Earlier decisions of the same approver in this round (a changed mind is kept). */
  changedFrom?: 'go' | 'no-go';
}

export interface GateView {
  gate: GateKey;
  status: 'closed' | 'open' | 'go' | 'no-go';
  round: number;
  openedAt?: string;
  deadline?: string;
  overdue: boolean;
  approvers: { personId: string; role: string }[];
  rule: { kind: 'all' } | { kind: 'quorum'; required: number };
  criteria: CriterionResult[];
  decisions: GateDecisionView[];
  /** Why the last round said no-go. */
  noGoReasons?: string[];
  closedAt?: string;
}

export interface DepartmentView {
  code: string;
  wave: number;
  state: DepartmentState;
  attempt: number;
  completedSteps: string[];
  failure?: { stepId: string; reason: string; at: string };
  /** When a rollback failed: the compensation that did not succeed, and what is still to undo. */
  rollbackFailure?: { stepId: string; reason: string; at: string; remaining: string[] };
  history: { at: string; state: DepartmentState; attempt: number; note?: string }[];
}

export interface WaveView {
  wave: number;
  departments: string[];
  status: 'pending' | 'going-live' | 'live' | 'exited';
  startedAt?: string;
  wentLiveAt?: string;
  exitGateAllowedAt?: string;
}

export interface ParallelRunView {
  started: boolean;
  nightsCompared: number;
  /** Per domain: consecutive clean nights up to the last one. */
  cleanStreak: Record<string, number>;
  lastNight: { businessDay: string; perDomain: { domain: string; status: string; differingKeys: number; mismatchRate: number }[] } | null;
  endsNoEarlierThan: string | null;
  /** Why the final gate may not be requested yet (empty: it may). */
  finalGateBlockers: string[];
  /** Domains whose last night was critical, with what the plan asks for. */
  critical: { domain: string; onCritical: string }[];
  /** Gate evidence per domain: nights by status, mismatch rates and their direction. */
  trend: DomainTrend[];
  /** Per wave: the nights compared since it went live (what its exit gate sees). */
  nightsSinceWaveLive: { wave: number; compared: number; clean: number; warning: number; critical: number; failed: number }[];
}

export interface EmergencyView {
  emergency: number;
  status: 'open' | 'restored' | 'closed';
  reason: string;
  declaredBy: string;
  departments: string[];
  declaredAt: string;
  restoredAt?: string;
  backlogClearedAt?: string;
  closedAt?: string;
  /** Paper records awaiting back-entry, per department (absent: not reported yet). */
  backlog: Record<string, number>;
  packets: Record<string, { packetId: string; census: number; activeOrders: number; pendingResults: number } | { error: string }>;
  /** Go-lives that were running and stay paused until the lead resumes them or rolls them back. */
  pausedGoLives: string[];
  timeline: { at: string; event: string; department?: string; sinceDeclaredMs: number }[];
}

export interface ProgramStatus {
  programId: string;
  hospital: string;
  timeZone: string;
  phase: ProgramPhase;
  activeWave: number | null;
  waves: WaveView[];
  departments: DepartmentView[];
  gates: GateView[];
  parallelRun: ParallelRunView;
  /** The open emergency, or the last one. */
  emergency?: EmergencyView;
  /** Why the program is paused, when it is. */
  pausedReason?: string;
  /** What the lead may do now: the names of the allowed actions. */
  allowedActions: string[];
  updatedAt: string;
}

// ------------------------------------------------------------------ messages

export const programStatusQuery = defineQuery<ProgramStatus>('programStatus');

export const recordEvidenceUpdate = programUpdates.recordEvidence.update;
export const requestGateUpdate = programUpdates.requestGate.update;
export const startWaveUpdate = programUpdates.startWave.update;
export const decideGateUpdate = programUpdates.decideGate.update;
export const retryDepartmentUpdate = programUpdates.retryDepartment.update;
export const completeUpdate = programUpdates.complete.update;
export const rollBackUpdate = programUpdates.rollBack.update;
export const markStepUndoneUpdate = programUpdates.markStepUndone.update;
export const resumeProgramUpdate = programUpdates.resumeProgram.update;
export const declareEmergencyUpdate = programUpdates.declareEmergency.update;
export const recordBacklogUpdate = programUpdates.recordBacklog.update;
export const restoreSystemsUpdate = programUpdates.restoreSystems.update;
export const closeEmergencyUpdate = programUpdates.closeEmergency.update;
export const resumeDepartmentUpdate = programUpdates.resumeDepartment.update;
export const verifyMigrationUpdate = programUpdates.verifyMigration.update;
export const extendParallelRunUpdate = programUpdates.extendParallelRun.update;
export const compareAgainUpdate = programUpdates.compareAgain.update;

export interface DepartmentReport {
  department: string;
  attempt: number;
  /** aborted: stopped between steps because a rollback was asked for. */
  outcome: 'live' | 'failed' | 'aborted';
  completedSteps: string[];
  failure?: { stepId: string; reason: string };
}
export const departmentReportSignal = defineSignal<[DepartmentReport]>('departmentReport');

export interface RollbackReport {
  department: string;
  attempt: number;
  rollback: number;
  outcome: 'rolled-back' | 'rollback-failed';
  /** Steps still done (in go-live order) after this rollback: empty when rolled back. */
  remaining: string[];
  failure?: { stepId: string; reason: string };
}
export const rollbackReportSignal = defineSignal<[RollbackReport]>('rollbackReport');

/** Stop a go-live between steps (the running step finishes) and report what was done. */
export const abortGoLiveSignal = defineSignal('abortGoLive');

/** Emergency hooks for the department workflow: no new step starts while paused. */
export const pauseStepsSignal = defineSignal('pauseSteps');
export const resumeStepsSignal = defineSignal('resumeSteps');
