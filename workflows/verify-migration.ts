import {
  ApplicationFailure,
  condition,
  allHandlersFinished,
  continueAsNew,
  getExternalWorkflowHandle,
  isCancellation,
  log,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import { retryPolicies } from './retry-policies';
import type { MigrationRangeResult } from '../activities/migration';
import { ErrorType } from '../domain/errors';
import {
  migrationStatusQuery,
  migrationVerifiedSignal,
  type KeyRange,
  type MigrationDomainCounts,
  type MigrationResult,
  type MigrationStatus,
} from '../domain/migration';
import type { ComparisonDomain } from '../domain/plan';

const { planMigrationRanges } = proxyActivities<Activities>({
  // Two index-ordered min/max reads on the legacy side.
  startToCloseTimeout: '10m',
  // A database away during the migration weekend is usually back within the hour; until then nothing can be verified anyway.
  retry: retryPolicies.untilSourceIsBack,
});

const { verifyMigrationRange } = proxyActivities<Activities>({
  // One range of a big domain's whole history streams both systems for hours; the activity
  // heartbeats every 20 s, so a dead worker is noticed within a minute and the range runs elsewhere.
  startToCloseTimeout: '8h',
  heartbeatTimeout: '1m',
  // No attempt limit: the workflow holds every finished range, and failing it would throw them
  // away for a database that is merely away. Errors that can never succeed (a secret not set,
  // servers that hash differently) are non-retryable and fail the verification at once.
  retry: retryPolicies.untilSourceIsBack,
});

/** What the verification knows; carried whole across continue-as-new. Counts and run ids only. */
export interface VerifyMigrationState {
  startedAtMs: number;
  /** Key ranges per domain name, once planned. */
  ranges: Record<string, KeyRange[]>;
  /** Finished ranges by `<domain>#<range index>`. */
  done: Record<string, MigrationRangeResult>;
}

export interface VerifyMigrationInput {
  programId: string;
  /** Told by migrationVerifiedSignal when every range is compared. */
  programWorkflowId?: string;
  n: number;
  domains: ComparisonDomain[];
  /** Key ranges per domain (default 16). */
  ranges?: number;
  /** Ranges compared at once, over all workers (default 4): each holds a snapshot on both systems. */
  maxParallel?: number;
  /** [from, to) ISO-8601: the whole history, e.g. 1970-01-01 to now. */
  window: { from: string; to: string };
  /** Fills {{departments}} in the domains' queries. */
  departments?: string[];
  state?: VerifyMigrationState;
}

const rangeKey = (domain: string, index: number) => `${domain}#${index}`;

/**
 * Verifies the data migration: every domain's whole history compared key range by key range.
 * Finished ranges live in the workflow, so a worker crash or a continue-as-new redoes none of them.
 */
export async function verifyMigrationWorkflow(input: VerifyMigrationInput): Promise<MigrationResult> {
  const rangesPerDomain = input.ranges ?? 16;
  const maxParallel = input.maxParallel ?? 4;
  const departments = input.departments ?? [];
  const names = input.domains.map((d) => d.name);
  if (names.length === 0 || new Set(names).size !== names.length)
    throw ApplicationFailure.create({
      type: ErrorType.InvalidInput,
      nonRetryable: true,
      message: 'the verification needs at least one domain, each named once',
    });
  if (!Number.isInteger(rangesPerDomain) || rangesPerDomain < 1 || !Number.isInteger(maxParallel) || maxParallel < 1) {
    throw ApplicationFailure.create({
      type: ErrorType.InvalidInput,
      nonRetryable: true,
      message: 'ranges and maxParallel must be positive integers',
    });
  }
  const s: VerifyMigrationState = input.state ?? { startedAtMs: Date.now(), ranges: {}, done: {} };

  const perDomain = (): MigrationDomainCounts[] =>
    input.domains.map(({ name }) => {
      const done = (s.ranges[name] ?? []).map((_, i) => s.done[rangeKey(name, i)]).filter((r) => r !== undefined);
      const sum = (f: (r: MigrationRangeResult) => number) => done.reduce((acc, r) => acc + f(r), 0);
      return {
        domain: name,
        rangesTotal: s.ranges[name]?.length ?? 0,
        rangesDone: done.length,
        rowsLegacy: sum((r) => r.rowsLegacy),
        rowsNew: sum((r) => r.rowsNew),
        rowsCompared: sum((r) => r.rowsCompared),
        differingKeys: sum((r) => r.differingKeys),
        runIds: done.map((r) => r.runId),
      };
    });
  let finished = false;

  setHandler(migrationStatusQuery, (): MigrationStatus => {
    const counts = perDomain();
    const planned = names.every((n) => s.ranges[n]);
    const rangesTotal = planned ? counts.reduce((a, c) => a + c.rangesTotal, 0) : null;
    const rangesDone = counts.reduce((a, c) => a + c.rangesDone, 0);
    const elapsedMs = Date.now() - s.startedAtMs;
    return {
      programId: input.programId,
      n: input.n,
      rangesTotal,
      rangesDone,
      rowsCompared: counts.reduce((a, c) => a + c.rowsCompared, 0),
      differingKeys: counts.reduce((a, c) => a + c.differingKeys, 0),
      perDomain: counts.map(({ domain, rangesTotal, rangesDone, rowsCompared, differingKeys }) => ({
        domain,
        rangesTotal,
        rangesDone,
        rowsCompared,
        differingKeys,
      })),
      startedAt: new Date(s.startedAtMs).toISOString(),
      estimatedRemainingMs:
        rangesTotal === null || rangesDone === 0 ? null : Math.round((elapsedMs / rangesDone) * (rangesTotal - rangesDone)),
      finished,
    };
  });

  for (const domain of input.domains) {
    s.ranges[domain.name] ??= await planMigrationRanges({ domain, window: input.window, ranges: rangesPerDomain, departments });
  }

  const todo = input.domains
    .flatMap((domain) => s.ranges[domain.name]!.map((range, index) => ({ domain, range, key: rangeKey(domain.name, index) })))
    .filter((j) => !s.done[j.key]);
  let next = 0;
  let stopping = false;
  await Promise.all(
    Array.from({ length: Math.min(maxParallel, todo.length) }, async () => {
      while (!stopping && next < todo.length) {
        const job = todo[next++]!;
        s.done[job.key] = await verifyMigrationRange({ domain: job.domain, window: input.window, range: job.range, departments });
        // Ranges in flight finish first; the next run starts only the ranges not yet begun.
        if (workflowInfo().continueAsNewSuggested) stopping = true;
      }
    }),
  );
  if (stopping && next < todo.length) {
    await condition(allHandlersFinished);
    return continueAsNew<typeof verifyMigrationWorkflow>({ ...input, state: s });
  }

  finished = true;
  const counts = perDomain();
  const result: MigrationResult = {
    verified: counts.every((c) => c.differingKeys === 0),
    verifiedAt: new Date().toISOString(),
    rowsCompared: counts.reduce((a, c) => a + c.rowsCompared, 0),
    differingKeys: counts.reduce((a, c) => a + c.differingKeys, 0),
    perDomain: counts,
  };
  if (input.programWorkflowId) {
    try {
      await getExternalWorkflowHandle(input.programWorkflowId).signal(migrationVerifiedSignal, {
        n: input.n,
        verified: result.verified,
        verifiedAt: result.verifiedAt,
        differingKeys: result.differingKeys,
        rowsCompared: result.rowsCompared,
      });
    } catch (err) {
      if (isCancellation(err)) throw err;
      // A program that is no longer running has nobody to tell; the result stays on this workflow.
      log.warn('program not signalled', { programWorkflowId: input.programWorkflowId, error: err instanceof Error ? err.name : 'unknown' });
    }
  }
  return result;
}
