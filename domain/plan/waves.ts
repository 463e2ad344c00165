/** The plan's departments and the waves they go live in: start windows, blackouts, minimum runs, exit gates. */
import { z } from 'zod';
import { StepShape, type Step } from './adapters';
import { GateShape, type Gate } from './gates';
import { Criticality, DepartmentCode, DepartmentKind, IsoDuration, LocalDateTime, LocalTime, LocalTimeEnd, Weekday } from './scalars';

export const DepartmentShape = z.strictObject({
  code: DepartmentCode,
  name: z.string().min(1).max(200),
  kind: DepartmentKind,
  criticality: Criticality,
  /** Absent or empty: the plan's defaultSteps. */
  steps: z.array(StepShape).optional(),
  /**
   * The program's stored runbook of this department's go-live night: when its wave starts, its
   * live run starts too, and the department counts as live only once the run has finished.
   */
  runbook: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'must be a runbook id')
    .optional(),
});
export type Department = Omit<z.output<typeof DepartmentShape>, 'steps'> & { steps: Step[] };

/** Go-live may only start inside one of these (e.g. the pilot on a non-peak weekday morning). `to` is exclusive. */
export const StartWindow = z.strictObject({
  days: z.array(Weekday).min(1),
  from: LocalTime,
  to: LocalTimeEnd,
});
export type StartWindow = z.infer<typeof StartWindow>;

/** Go-live may not start in [from, to), hospital-local. */
export const Blackout = z.strictObject({
  from: LocalDateTime,
  to: LocalDateTime,
  reason: z.string().max(200).optional(),
});
export type Blackout = z.infer<typeof Blackout>;

export const WaveShape = z.strictObject({
  name: z.string().min(1).max(100).optional(),
  departments: z.array(DepartmentCode),
  /** Days live before the exit gate may open. Pilot: 2..28, default 14; others: 1..90, default 7. */
  minimumDays: z.number().int().optional(),
  /** Overrides minimumDays (demos run in minutes: PT5M). */
  minimumDuration: IsoDuration.optional(),
  startWindows: z.array(StartWindow).default([]),
  blackouts: z.array(Blackout).default([]),
  exitGate: GateShape,
});
export type Wave = Omit<z.output<typeof WaveShape>, 'minimumDays' | 'exitGate'> & { minimumDays: number; exitGate: Gate };
