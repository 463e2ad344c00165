/** The plan's go/no-go gates: criteria and their defaults, approvers and the decision rule. */
import { z } from 'zod';
import { PersonId, Role } from '../people';
import { IsoDuration } from './scalars';

const Percent = z.number().min(0).max(100);

/** Gate criteria, by id. New kinds (the parallel run's) join this union. */
export const Criterion = z.discriminatedUnion('id', [
  z.strictObject({ id: z.literal('uat-severe-fixed'), minPercent: Percent.default(100) }),
  z.strictObject({ id: z.literal('uat-ordinary-fixed'), minPercent: Percent.default(95) }),
  /** For the departments about to go live (see gateScope). */
  z.strictObject({ id: z.literal('training-pass-rate'), minPercent: Percent.default(95) }),
  z.strictObject({
    id: z.literal('backup-age'),
    maxHours: z
      .number()
      .positive()
      .max(24 * 14)
      .default(24),
  }),
  z.strictObject({ id: z.literal('migration-verified') }),
  /**
   * A dress rehearsal of this stored runbook within `withinDays` days fitted the night's window
   * with every validation passed (the program learns of each finished run from the run itself).
   */
  z.strictObject({
    id: z.literal('rehearsal'),
    runbookId: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'must be a runbook id'),
    withinDays: z.number().int().min(1).max(90).default(14),
  }),
]);
export type Criterion = z.infer<typeof Criterion>;
export type CriterionId = Criterion['id'];

/** The practitioners' readiness evidence: 100% severe and 95% ordinary UAT defects fixed, 95% exam pass rate, a backup of at most a day, migration verified. */
export const DEFAULT_READINESS_CRITERIA: Criterion[] = [
  { id: 'uat-severe-fixed', minPercent: 100 },
  { id: 'uat-ordinary-fixed', minPercent: 95 },
  { id: 'training-pass-rate', minPercent: 95 },
  { id: 'backup-age', maxHours: 24 },
  { id: 'migration-verified' },
];
/** Before the next wave goes live its staff must have passed, and a fresh backup must exist. */
export const DEFAULT_EXPANSION_CRITERIA: Criterion[] = [
  { id: 'training-pass-rate', minPercent: 95 },
  { id: 'backup-age', maxHours: 24 },
];

export const Approver = z.strictObject({
  personId: PersonId,
  role: Role.extract(['leadership', 'lead', 'admin']),
});
export type Approver = z.infer<typeof Approver>;

/** all: every named approver says go. quorum: `required` go's. Either way a single no-go is a veto. */
export const GateRule = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('all') }),
  z.strictObject({ kind: z.literal('quorum'), required: z.number().int().min(1) }),
]);
export type GateRule = z.infer<typeof GateRule>;

export const GateShape = z.strictObject({
  approvers: z.array(Approver),
  rule: GateRule.prefault({ kind: 'all' }),
  /** How long after the gate opens the approvers have to decide. */
  decisionDeadline: IsoDuration.default('P2D'),
  /** Absent: the defaults for the gate's place (readiness, expansion, or none). */
  criteria: z.array(Criterion).optional(),
});
export type Gate = Omit<z.output<typeof GateShape>, 'criteria'> & { criteria: Criterion[] };
