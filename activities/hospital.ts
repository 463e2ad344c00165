import type { Adapter } from '../domain/plan';
import type { HospitalAdapter, StepCall, StepOutcome } from '../adapters/hospital';

/** Go-live steps through the department's adapter: the adapter does the work, failFast types its refusals. */
export function createAdapterActivities({ adapterFor }: { adapterFor: (adapter: Adapter) => HospitalAdapter }) {
  return {
    /** Runs one go-live step or its compensation through the department's adapter. */
    async runStep(call: StepCall): Promise<StepOutcome> {
      return adapterFor(call.adapter).run(call);
    },
  };
}
export type { StepCall, StepOutcome };
