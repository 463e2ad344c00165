import type { ErrorType } from '../../domain/errors';
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
  /**
   * A rehearsal's call: the adapter checks that it could make the call (its settings, the step's
   * request, the secrets it names) and changes nothing in the hospital's systems.
   */
  dryRun?: boolean;
}

export interface StepOutcome {
  /** An opaque reference the system gave back, if any (never content). */
  reference?: string;
  /** True when the system said it had already done this (idempotent repeat). */
  alreadyDone: boolean;
  /** True when nothing was called: a rehearsal's dry run. */
  dryRun?: boolean;
}

/** A department's systems going on or off downtime procedures during emergency `emergency`. */
export interface DowntimeCall {
  programId: string;
  emergency: number;
  department: string;
  adapter: Adapter;
  /** The same on every retry of this switch, and different for the next emergency. */
  idempotencyKey: string;
}

/**
 * The department's last good data, printed in its downtime packet: who is in which bed, what is
 * ordered, what results are awaited. Patient data: it goes into the packet and nowhere else.
 */
export interface DowntimeSnapshot {
  census: Record<string, unknown>[];
  activeOrders: Record<string, unknown>[];
  pendingResults: Record<string, unknown>[];
}

/** A hospital system as golive drives it: go-live steps, and downtime during an emergency. */
export interface HospitalAdapter {
  run(call: StepCall): Promise<StepOutcome>;
  /** Puts the department on downtime procedures (new system read-only with a banner, interfaces queued) and returns its snapshot. */
  enterDowntime(call: DowntimeCall): Promise<DowntimeSnapshot>;
  /** Takes the department off downtime procedures. */
  leaveDowntime(call: DowntimeCall): Promise<void>;
}

/**
 * A refusal no retry can fix (a system that said no, a plan that lacks what the call needs).
 * Plain, so that adapters stay free of Temporal: the activity layer turns it into a
 * non-retryable ApplicationFailure of the same type (activities/failures.ts). Anything else an
 * adapter throws is retried. The message names systems, steps and statuses only, never content.
 */
export class AdapterFailure extends Error {
  readonly nonRetryable = true;
  constructor(
    readonly type: (typeof ErrorType)['AdapterRejected' | 'InvalidInput' | 'UnknownAdapter'],
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'AdapterFailure';
  }
}
