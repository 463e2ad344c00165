import type { Pool } from 'pg';
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
      return byKind[call.adapter.kind].run(call);
    },
  };
}
export type { StepCall, StepOutcome };
