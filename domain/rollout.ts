/**
 * The program's messages and state shapes, defined once for the workflows and the API.
 * Updates answer at once (validators reject with the reason); signals carry facts from the
 * department workflows; queries read the live state.
 */
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { CriterionResult } from './rules/criteria';
import type { ProgramStatus } from './program-views';
import { programUpdates, type InputOf } from './program-contract';

export { DepartmentState, ProgramPhase } from './program-views';
export type { DepartmentView, EmergencyView, GateDecisionView, GateView, ParallelRunView, ProgramStatus, WaveView } from './program-views';

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
