/**
 * The program's messages and state shapes, defined once for the workflows and the API.
 * Updates answer at once (validators reject with the reason); signals carry facts from the
 * department workflows; queries read the live state.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import { z } from 'zod';
import { PersonId, Role } from './people';
import { GateKey } from './rules/gates';
import { Evidence, type CriterionResult } from './rules/criteria';
import { DepartmentCode } from './plan';
import type { CompareAgainInput, DomainTrend, ExtendRunInput } from './parallel-run';

export const DepartmentState = z.enum(['legacy', 'going-live', 'live-parallel', 'cut-over', 'rolling-back', 'rolled-back', 'rollback-failed']);
export type DepartmentState = z.infer<typeof DepartmentState>;

export const ProgramPhase = z.enum(['readiness', 'wave-active', 'gate-open', 'paused', 'completed', 'aborted']);
export type ProgramPhase = z.infer<typeof ProgramPhase>;

/** Who asks: set by the API from the authenticated person, never taken from a request body. */
export const Actor = z.object({ personId: PersonId, roles: z.array(Role).min(1) });
export type Actor = z.infer<typeof Actor>;

export { GateKey, exitGateKey } from './rules/gates';

const Reason = z.string().trim().min(3).max(500);

// ------------------------------------------------------------------ update inputs (API bodies + actor)

export const RecordEvidenceBody = z.object({ evidence: Evidence, comment: z.string().max(500).optional() });
export const RequestGateBody = z.object({ gate: GateKey, comment: z.string().max(500).optional() });
export const StartWaveBody = z.object({ wave: z.number().int().min(1).max(99), comment: z.string().max(500).optional() });
export const DecideGateBody = z.object({
  decision: z.enum(['go', 'no-go']),
  comment: z.string().max(2000).optional(),
  /** Required to say "go" while a criterion fails: recorded and shown with the decision. */
  override: z.object({ reason: Reason }).optional(),
});
export const RetryDepartmentBody = z.object({ reason: Reason });
/** Roll back named departments, or a whole wave; the reason goes to the audit trail. */
export const RollBackBody = z
  .object({ departments: z.array(DepartmentCode).min(1).max(100).optional(), wave: z.number().int().min(1).max(99).optional(), reason: Reason })
  .refine((b) => (b.departments === undefined) !== (b.wave === undefined), { message: 'give either departments or wave', path: ['departments'], params: { rule: 'departments-or-wave' } });
/** A compensation that kept failing was done by hand: the lead says so, with the reason. */
export const MarkStepUndoneBody = z.object({ stepId: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'must be a step id'), reason: Reason });
export const CompleteBody = z.object({ comment: z.string().max(500).optional() });
export const ResumeProgramBody = z.object({ reason: Reason });

/** Paper operation: for the whole hospital (no departments) or for named departments. */
export const DeclareEmergencyBody = z.object({ departments: z.array(DepartmentCode).min(1).max(100).optional(), reason: Reason });
export const RecordBacklogBody = z.object({ department: DepartmentCode, paperRecords: z.number().int().min(0).max(1_000_000) });
export const RestoreSystemsBody = z.object({ reason: Reason });
/**
 * The emergency closes when every backlog is zero and the downtime window reconciles: by a
 * clean comparison of that window (request one first), or confirmed by hand with a reason.
 */
export const CloseEmergencyBody = z.object({ reconciliation: z.enum(['comparison', 'manual']), reason: Reason });
export const ResumeDepartmentBody = z.object({ reason: Reason });
export const VerifyMigrationBody = z.object({ comment: z.string().max(500).optional() });

type WithActor<T extends z.ZodObject> = z.infer<T> & { actor: Actor; requestId?: string };
export type RecordEvidenceInput = WithActor<typeof RecordEvidenceBody>;
export type RequestGateInput = WithActor<typeof RequestGateBody>;
export type StartWaveInput = WithActor<typeof StartWaveBody>;
export type DecideGateInput = WithActor<typeof DecideGateBody> & { gate: GateKey };
export type RetryDepartmentInput = WithActor<typeof RetryDepartmentBody> & { department: string };
export type CompleteInput = WithActor<typeof CompleteBody>;
export type RollBackInput = WithActor<typeof RollBackBody>;
export type ResumeProgramInput = WithActor<typeof ResumeProgramBody>;
export type DeclareEmergencyInput = WithActor<typeof DeclareEmergencyBody>;
export type RecordBacklogInput = WithActor<typeof RecordBacklogBody>;
export type RestoreSystemsInput = WithActor<typeof RestoreSystemsBody>;
export type CloseEmergencyInput = WithActor<typeof CloseEmergencyBody>;
export type VerifyMigrationInput = WithActor<typeof VerifyMigrationBody>;
export type ResumeDepartmentInput = WithActor<typeof ResumeDepartmentBody> & { department: string };
export type MarkStepUndoneInput = WithActor<typeof MarkStepUndoneBody> & { department: string };

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

export const recordEvidenceUpdate = defineUpdate<{ criteria: CriterionResult[] }, [RecordEvidenceInput]>('recordEvidence');
export const requestGateUpdate = defineUpdate<GateView, [RequestGateInput]>('requestGate');
export const startWaveUpdate = defineUpdate<WaveView, [StartWaveInput]>('startWave');
export const decideGateUpdate = defineUpdate<GateView, [DecideGateInput]>('decideGate');
export const retryDepartmentUpdate = defineUpdate<DepartmentView, [RetryDepartmentInput]>('retryDepartment');
export const completeUpdate = defineUpdate<ProgramStatus, [CompleteInput]>('complete');
export const rollBackUpdate = defineUpdate<DepartmentView[], [RollBackInput]>('rollBack');
export const markStepUndoneUpdate = defineUpdate<DepartmentView, [MarkStepUndoneInput]>('markStepUndone');
export const resumeProgramUpdate = defineUpdate<ProgramStatus, [ResumeProgramInput]>('resumeProgram');
export const declareEmergencyUpdate = defineUpdate<EmergencyView, [DeclareEmergencyInput]>('declareEmergency');
export const recordBacklogUpdate = defineUpdate<EmergencyView, [RecordBacklogInput]>('recordBacklog');
export const restoreSystemsUpdate = defineUpdate<EmergencyView, [RestoreSystemsInput]>('restoreSystems');
export const closeEmergencyUpdate = defineUpdate<EmergencyView, [CloseEmergencyInput]>('closeEmergency');
export const resumeDepartmentUpdate = defineUpdate<DepartmentView, [ResumeDepartmentInput]>('resumeDepartment');
/** Starts a whole-history comparison of every domain; its result becomes the "migration verified" evidence. */
export const verifyMigrationUpdate = defineUpdate<{ n: number; workflowId: string }, [VerifyMigrationInput]>('verifyMigration');
/** The lead's parallel-run requests, forwarded to the parallel-run workflow. */
export const extendParallelRunUpdate = defineUpdate<ParallelRunView, [ExtendRunInput]>('extendParallelRun');
export const compareAgainUpdate = defineUpdate<ParallelRunView, [CompareAgainInput]>('compareAgain');

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
