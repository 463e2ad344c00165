/**
 * Verification of the data migration: the whole history of a plan's domain compared between the
 * legacy and the new system, one key range per activity so that any number of workers share the
 * work and a crash loses one range at most. Inputs and outputs hold counts, run ids and range bounds.
 */
import { ApplicationFailure } from '@temporalio/activity';
import type { Pool } from 'pg';
import { ErrorType } from '../domain/errors';
import type { ComparisonDomain } from '../domain/plan';
import { ComparisonError, keyRanges, SourceConfig, type KeyRange } from '../compare';
import { comparePlanDomain, resolveDomain, resultsUrlOf } from './parallel-run';

export interface MigrationActivityDeps {
  pool: Pool;
  /** Where the connection strings a plan names by environment variable are found (process.env in the worker). */
  secrets: Record<string, string | undefined>;
}

export interface PlanMigrationRangesInput {
  domain: ComparisonDomain;
  /** [from, to) ISO-8601: the whole history. */
  window: { from: string; to: string };
  ranges: number;
  departments: string[];
}

export interface VerifyMigrationRangeInput {
  domain: ComparisonDomain;
  window: { from: string; to: string };
  range: KeyRange;
  departments: string[];
}

export interface MigrationRangeResult {
  runId: string;
  rowsLegacy: number;
  rowsNew: number;
  /** Distinct keys seen on either side. */
  rowsCompared: number;
  differingKeys: number;
}

function refuseEmptyDepartments(domain: ComparisonDomain, departments: string[]): void {
  // An empty department list would filter every row away on both sides: a "verified" with nothing compared.
  const usesDepartments = [domain.legacy, domain.new].some((s) => s.kind === 'postgres' && s.query.includes('{{departments}}'));
  if (usesDepartments && departments.length === 0) {
    throw ApplicationFailure.create({
      type: ErrorType.InvalidInput,
      nonRetryable: true,
      message: `domain ${domain.name}: its queries filter by {{departments}} but no departments were given`,
    });
  }
}

export function createMigrationActivities(deps: MigrationActivityDeps) {
  return {
    /** Splits the domain's key space (read on the legacy side) into about `ranges` key ranges covering every key. */
    async planMigrationRanges(input: PlanMigrationRangesInput): Promise<KeyRange[]> {
      refuseEmptyDepartments(input.domain, input.departments);
      const { spec, legacy } = resolveDomain(input.domain, input.departments, deps.secrets);
      try {
        return await keyRanges(
          { spec, source: SourceConfig.parse(legacy), window: input.window, resultsUrl: resultsUrlOf(deps.pool) },
          input.ranges,
        );
      } catch (err) {
        if (err instanceof ApplicationFailure) throw err;
        // Like the comparison itself: a code and a place, never a connection string or a row value.
        const message = err instanceof ComparisonError ? err.message : 'plan key ranges: failed';
        throw ApplicationFailure.create({
          type: ErrorType.ComparisonFailed,
          message,
          details: [{ code: err instanceof ComparisonError ? err.code : 'COMPARE' }],
        });
      }
    },

    /** Compares one key range of the domain's whole history; heartbeats while the engine runs. */
    async verifyMigrationRange(input: VerifyMigrationRangeInput): Promise<MigrationRangeResult> {
      refuseEmptyDepartments(input.domain, input.departments);
      const r = await comparePlanDomain(deps, input.domain, input.departments, { window: input.window, keyRange: input.range });
      return { runId: r.runId, rowsLegacy: r.rowsLegacy, rowsNew: r.rowsNew, rowsCompared: r.distinctKeys, differingKeys: r.differingKeys };
    },
  };
}
