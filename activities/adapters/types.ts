import type { Adapter, Compensation, Step } from '../../domain/plan';

/** One call to a hospital system: a go-live step ("do") or its compensation ("undo"). */
export interface StepCall {
  programId: string;
  department: string;
  attempt: number;
  direction: 'do' | 'undo';
  step: Pick<Step, 'id' | 'system' | 'action' | 'params' | 'request'> & { compensation: Compensation };
  adapter: Adapter;
  /** Computed by the workflow: the hospital system sees the same key on every retry. */
  idempotencyKey: string;
}

export interface StepOutcome {
  /** An opaque reference the system gave back, if any (never content). */
  reference?: string;
  /** True when the system said it had already done this (idempotent repeat). */
  alreadyDone: boolean;
}

export interface HospitalAdapter {
  run(call: StepCall): Promise<StepOutcome>;
}
