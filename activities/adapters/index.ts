import { ApplicationFailure } from '@temporalio/activity';
import type { Pool } from 'pg';
import { ErrorType } from '../../domain/errors';
import { createHttpAdapter } from './http';
import { createSimulatedAdapter } from './simulated';
import type { HospitalAdapter, StepCall, StepOutcome } from './types';

export interface AdapterDeps {
  pool: Pool;
  /** Where http adapters find the secrets their plan names (process.env in the worker). */
  secrets: Record<string, string | undefined>;
  /** Tests may replace an adapter kind. */
  adapters?: Partial<Record<'http' | 'simulated', HospitalAdapter>>;
}

export function createAdapterActivities({ pool, secrets, adapters }: AdapterDeps) {
  const byKind: Record<'http' | 'simulated', HospitalAdapter> = {
    http: adapters?.http ?? createHttpAdapter(secrets),
    simulated: adapters?.simulated ?? createSimulatedAdapter(pool),
  };
  return {
    /** Runs one go-live step or its compensation through the department's adapter. */
    async runStep(call: StepCall): Promise<StepOutcome> {
      const adapter = Object.hasOwn(byKind, call.adapter.kind) ? byKind[call.adapter.kind] : undefined;
      if (!adapter) throw ApplicationFailure.create({ type: ErrorType.UnknownAdapter, nonRetryable: true, message: `adapter ${call.adapter.id}: this worker has no adapter of kind ${String(call.adapter.kind)}` });
      return adapter.run(call);
    },
  };
}
export type { StepCall, StepOutcome };
