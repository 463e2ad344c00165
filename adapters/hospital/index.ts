import type { Pool } from 'pg';
import { ErrorType } from '../../domain/errors';
import type { Adapter } from '../../domain/plan';
import { createHttpAdapter } from './http';
import { createSimulatedAdapter } from './simulated';
import { AdapterFailure, type HospitalAdapter } from './types';

export type AdapterKind = 'http' | 'simulated';

export interface HospitalAdapterDeps {
  pool: Pool;
  /** Where http adapters find the secrets their plan names (process.env in the worker). */
  secrets: Record<string, string | undefined>;
  /** Tests may replace an adapter kind. */
  adapters?: Partial<Record<AdapterKind, HospitalAdapter>>;
}

/** The adapter that drives a plan's hospital system, by its kind; a kind this worker lacks is refused for good. */
export function hospitalAdapters({ pool, secrets, adapters }: HospitalAdapterDeps): (adapter: Adapter) => HospitalAdapter {
  const byKind: Record<AdapterKind, HospitalAdapter> = {
    http: adapters?.http ?? createHttpAdapter(secrets),
    simulated: adapters?.simulated ?? createSimulatedAdapter(pool),
  };
  return (adapter) => {
    const found = Object.hasOwn(byKind, adapter.kind) ? byKind[adapter.kind] : undefined;
    if (!found)
      throw new AdapterFailure(
        ErrorType.UnknownAdapter,
        `adapter ${adapter.id}: this worker has no adapter of kind ${String(adapter.kind)}`,
      );
    return found;
  };
}

export * from './types';
