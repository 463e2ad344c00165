/** The plan's parallel run: the domains compared every night, their sources, and the run's settings. */
import { z } from 'zod';
// spec.ts is plain zod (no I/O, no Node built-ins), so it is safe in the workflow sandbox, and the
// plan and the comparison engine then validate domains with the one schema.
import { DomainSpec, FileSourceConfig, Thresholds } from '../../compare/spec';
import { IsoDuration, LocalTime } from './scalars';

const EnvName = z.string().regex(/^[A-Z_][A-Z0-9_]{0,127}$/, 'must be an environment variable name');

/** One side of a comparison. A connection string carries a password, so the plan names the environment variable holding it. */
export const ComparisonSource = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('postgres'),
    connection: z.strictObject({ urlEnv: EnvName }),
    /**
     * Read-only SELECT; $1 and $2 are the business-day window [from, to), and {{departments}}
     * becomes a text[] literal of the departments live for the whole window.
     */
    query: z.string().min(1).max(100_000),
  }),
  FileSourceConfig,
]);
export type ComparisonSource = z.infer<typeof ComparisonSource>;

/** A domain's code: the engine's run records, incidents and nightly summaries key on it. */
export const DomainName = z
  .string()
  .regex(/^[a-z][a-z0-9_-]{0,39}$/, 'must be a domain name: lower-case letters, digits, _ and -, at most 40');

/** A business domain (charges, orders, results ...) compared every night between the two systems. */
export const ComparisonDomain = z.strictObject({
  /** Used for the engine's run records, in incidents and in the nightly summaries. */
  name: DomainName,
  /**
   * The hospital's word for the domain (收费明细, "Charges"), shown to people wherever the domain
   * is: pages, incidents, e-mails. Like department names, one word in the hospital's language;
   * absent, people see the name.
   */
  title: z.string().trim().min(1).max(200).optional(),
  spec: DomainSpec,
  legacy: ComparisonSource,
  new: ComparisonSource,
  thresholds: Thresholds.default({}),
  /** What a critical night asks of the program, besides the incident to the on-call. */
  onCritical: z.enum(['pause', 'propose-rollback', 'incident-only']).default('incident-only'),
});
export type ComparisonDomain = z.infer<typeof ComparisonDomain>;
export type OnCritical = ComparisonDomain['onCritical'];

export const ParallelRunSettings = z.strictObject({
  /** At least 14, unless minimumDuration overrides it. */
  minimumDays: z.number().int().min(1).max(365).default(14),
  /** Overrides minimumDays (demos: PT10M). */
  minimumDuration: IsoDuration.optional(),
  /** Hospital-local time of the nightly comparison. */
  nightlyAt: LocalTime.default('02:00'),
  /** Consecutive clean nights required before the final gate. */
  exitCleanNights: z.number().int().min(1).max(60).default(3),
  /** Demo override: compare every interval instead of nightly at nightlyAt. */
  comparisonEvery: IsoDuration.optional(),
  /**
   * The domains compared every night. Optional without a schema default, like maxParallelDomains
   * and settle, so parsed plans stored before they existed read the same: domain/parallel-run.ts
   * fills in [], 2 and PT5M.
   */
  domains: z.array(ComparisonDomain).optional(),
  /** How many domains are compared at once (each holds a snapshot on both systems). */
  maxParallelDomains: z.number().int().min(1).max(16).optional(),
  /** Differences are re-checked after this delay: rows still in flight between the systems do not count. */
  settle: IsoDuration.optional(),
});
export type ParallelRunSettings = z.infer<typeof ParallelRunSettings>;
