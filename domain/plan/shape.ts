/** The plan's whole shape before the cross-field rules and the defaults that depend on place, and the Plan they give. */
import { z } from 'zod';
import { IANAZone } from 'luxon';
import { EscalationPolicy } from '../escalation';
import { locales } from '../i18n';
import { PersonId } from '../people';
import { Adapter, StepShape, type Step } from './adapters';
import { GateShape, type Gate } from './gates';
import { ParallelRunSettings } from './parallel-run';
import { ProgramId } from './scalars';
import { DepartmentShape, WaveShape, type Department, type Wave } from './waves';

export const PLAN_SCHEMA_VERSION = 1;

/** What the emergency switch to paper needs from the plan: who is told, the runbook, the blank forms. */
export const EmergencySettings = z.strictObject({
  /** Told at once when an emergency is declared, besides leadership and the on-call ladder. */
  contacts: z.array(PersonId).max(200).default([]),
  runbookUrl: z.url({ protocol: /^https?$/ }).optional(),
  /** Blank downtime forms each packet includes, by form code. */
  downtimeForms: z
    .array(z.string().regex(/^[a-z][a-z0-9-]{0,63}$/, 'must be a form code'))
    .default(['census', 'medication-administration-record', 'order-requisition', 'lab-requisition', 'results-log']),
});
export type EmergencySettings = z.infer<typeof EmergencySettings>;

export const Policies = z.strictObject({
  onFailedStep: z.enum(['ask', 'auto-rollback']).default('ask'),
});
export type Policies = z.infer<typeof Policies>;

export const PlanShape = z.strictObject({
  schemaVersion: z.literal(PLAN_SCHEMA_VERSION),
  programId: ProgramId,
  hospital: z.strictObject({
    name: z.string().min(1).max(200),
    timeZone: z.string().refine((tz) => IANAZone.isValidZone(tz), {
      message: 'must be an IANA time zone such as Asia/Shanghai',
      params: { rule: 'bad-time-zone' },
    }),
    /** The language of the hospital's staff: messages to people who chose none are in it (default en). */
    locale: z.enum(locales).optional(),
  }),
  departments: z.array(DepartmentShape).min(1),
  adapters: z.array(Adapter).min(1),
  /** Steps for departments that list none. */
  defaultSteps: z.array(StepShape).optional(),
  /** In order; the first is the pilot. */
  waves: z.array(WaveShape),
  gates: z.strictObject({
    /** Before the pilot. */
    readiness: GateShape,
    /** Ends the parallel run. */
    final: GateShape,
  }),
  parallelRun: ParallelRunSettings.prefault({}),
  policies: Policies.prefault({}),
  /** The on-call ladder for the incidents workflows raise (failed steps and compensations, critical nights, overdue gates); times in the hospital's zone. */
  escalation: EscalationPolicy.omit({ timeZone: true }),
  emergency: EmergencySettings.prefault({}),
});
export type PlanShape = z.output<typeof PlanShape>;

export type Plan = Omit<PlanShape, 'departments' | 'defaultSteps' | 'waves' | 'gates'> & {
  departments: Department[];
  defaultSteps?: Step[];
  waves: Wave[];
  gates: { readiness: Gate; final: Gate };
};
