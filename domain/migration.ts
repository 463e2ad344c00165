/**
 * Data-migration verification: the whole history of every comparison domain compared between the
 * legacy and the new system, split into key ranges. Its messages (shared by the workflows and the
 * API) and the progress it reports. Counts and run ids only: the differences stay in PostgreSQL.
 */
import { defineQuery, defineSignal } from '@temporalio/workflow';
import { z } from 'zod';

/** The key ranges the verification fans out over (the engine's, from its spec module). */
export type { KeyRange } from '../compare/spec';

/** What the verification tells the program when every range is compared (signal migrationVerified). */
export const MigrationVerified = z.object({
  /** The verification's number within the program (workflowIds.verifyMigration). */
  n: z.number().int().min(1),
  /** No differing key in any domain. */
  verified: z.boolean(),
  verifiedAt: z.iso.datetime({ offset: true }),
  differingKeys: z.number().int().min(0),
  rowsCompared: z.number().int().min(0),
});
export type MigrationVerified = z.infer<typeof MigrationVerified>;

export const migrationVerifiedSignal = defineSignal<[MigrationVerified]>('migrationVerified');

/** One domain's totals over its finished ranges. rowsCompared counts distinct keys seen on either side. */
export interface MigrationDomainCounts {
  domain: string;
  rangesTotal: number;
  rangesDone: number;
  rowsLegacy: number;
  rowsNew: number;
  rowsCompared: number;
  differingKeys: number;
  /** The engine's run ids (comparison_run), one per finished range: where the differences are. */
  runIds: string[];
}

export interface MigrationStatus {
  programId: string;
  n: number;
  /** Null until the key ranges are planned. */
  rangesTotal: number | null;
  rangesDone: number;
  rowsCompared: number;
  differingKeys: number;
  perDomain: { domain: string; rangesTotal: number; rangesDone: number; rowsCompared: number; differingKeys: number }[];
  startedAt: string;
  /** From the rate of ranges finished so far; null before the first range is done. */
  estimatedRemainingMs: number | null;
  finished: boolean;
}

export const migrationStatusQuery = defineQuery<MigrationStatus>('migrationStatus');

export interface MigrationResult {
  verified: boolean;
  verifiedAt: string;
  rowsCompared: number;
  differingKeys: number;
  perDomain: MigrationDomainCounts[];
}
