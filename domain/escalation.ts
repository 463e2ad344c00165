/**
 * Incidents and their escalation ladder: the policy and rota schemas (the cutover plan embeds
 * the policy as `escalation`), the pure ladder and rota rules, and the incident workflow's
 * messages. Pure and deterministic: the incident workflow and the API both import it.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import { z } from 'zod';
import { NamedActor as Actor, PersonId, type Role } from './people';
import { DomainName } from './plan/parallel-run';
import { roleGroups } from './permissions';

/**
 * A code as it may appear in an e-mail, a URL or a workflow id. No run of five or more digits:
 * that is what record numbers look like (MRN-00012345), and no code golive uses needs one.
 */
export const Code = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'must be a code: letters, digits, . _ -')
  .refine((s) => !/\d{5}/.test(s), {
    message: 'must not hold a run of five or more digits (that looks like a record number)',
    params: { rule: 'looks-like-record-number' },
  });

export const Severity = z.enum(['sev1', 'sev2', 'sev3', 'sev4']);
export type Severity = z.infer<typeof Severity>;

/** What went wrong, as a closed list: an incident's one-line summary is built from this and counts only. */
export const Condition = z.enum([
  'step-failed',
  'compensation-failed',
  'comparison-critical',
  'comparison-repeated',
  'comparison-not-run',
  'emergency-declared',
  'gate-overdue',
  'runbook-task-late',
  'reported',
]);
export type Condition = z.infer<typeof Condition>;

/** The counts an incident may carry; closed, so no caller can smuggle text in as a key. */
export const CountName = z.enum([
  'failedSteps',
  'failedCompensations',
  'differences',
  'missing',
  'mismatched',
  'nights',
  'domains',
  'attempts',
  'departments',
  'minutesOverdue',
]);
const Count = z.number().int().min(0).max(1_000_000_000);
// A strict object rather than a partial record: the OpenAPI document then says that no other key is allowed.
export const Counts = z.strictObject(
  Object.fromEntries(CountName.options.map((n) => [n, Count.optional()])) as {
    [K in z.infer<typeof CountName>]: z.ZodOptional<typeof Count>;
  },
);
export type Counts = z.infer<typeof Counts>;

export const TimeZone = z.string().refine(
  (tz) => {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: tz });
      return /^[A-Za-z_]+(\/[A-Za-z0-9_+-]+)*$/.test(tz);
    } catch {
      return false;
    }
  },
  { message: 'must be an IANA time zone such as Asia/Shanghai', params: { rule: 'bad-time-zone' } },
);

// ---------------------------------------------------------------------------------------------
// On-call rota

export const Weekday = z.enum(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun']);
export type Weekday = z.infer<typeof Weekday>;
const weekdays = Weekday.options;

export const RotaName = z.string().regex(/^[a-z0-9][a-z0-9._-]{0,39}$/, 'must be a lower-case code');

/** One shift: who is on call from this hospital-local weekday and time until the next shift starts. */
export const RotaShift = z.object({
  day: Weekday,
  from: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be HH:MM (24 h)'),
  people: z.array(PersonId).min(1).max(20),
});

/** A weekly rota: shifts hand over at their start times (08:00, 20:00, midnight ...), the week wraps round. */
export const Rota = z
  .object({
    timeZone: TimeZone,
    shifts: z
      .array(RotaShift)
      .min(1)
      .max(7 * 48),
  })
  .refine((r) => new Set(r.shifts.map((s) => `${s.day} ${s.from}`)).size === r.shifts.length, {
    message: 'two shifts start at the same time',
    path: ['shifts'],
    params: { rule: 'shifts-start-together' },
  });
export type Rota = z.infer<typeof Rota>;

const minuteOfWeek = (day: Weekday, hhmm: string) =>
  weekdays.indexOf(day) * 1440 + Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** The hospital-local weekday and time of an instant. */
export function localTime(atMs: number, timeZone: string): { day: Weekday; time: string } {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    weekday: 'short',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(new Date(atMs));
  const get = (type: string) => parts.find((p) => p.type === type)!.value;
  return { day: get('weekday').toLowerCase() as Weekday, time: `${get('hour')}:${get('minute')}` };
}

/** Who is on call at an instant: the shift that started last before it, in hospital-local time. */
export function onCallAt(rota: Rota, atMs: number): { people: string[]; shift: { day: Weekday; from: string } } {
  const now = localTime(atMs, rota.timeZone);
  const at = minuteOfWeek(now.day, now.time);
  const sorted = [...rota.shifts].sort((a, b) => minuteOfWeek(a.day, a.from) - minuteOfWeek(b.day, b.from));
  // Before the week's first shift start, last week's last shift is still on.
  const shift = sorted.filter((s) => minuteOfWeek(s.day, s.from) <= at).at(-1) ?? sorted.at(-1)!;
  return { people: shift.people, shift: { day: shift.day, from: shift.from } };
}

// ---------------------------------------------------------------------------------------------
// Escalation policy and the ladder

export const EscalationLevel = z
  .object({
    /** Named people; and/or whoever a program rota has on call when the level is reached. */
    people: z.array(PersonId).max(50).default([]),
    rota: RotaName.optional(),
    /** Target: first response within 15 minutes. */
    ackTimeoutMinutes: z
      .number()
      .int()
      .min(1)
      .max(24 * 60)
      .default(15),
  })
  .refine((l) => l.people.length > 0 || l.rota !== undefined, {
    message: 'a level needs people or a rota',
    params: { rule: 'level-without-people' },
  });
export type EscalationLevel = z.infer<typeof EscalationLevel>;

const SeverityRule = z.object({
  startLevel: z.number().int().min(1).max(10),
  leadershipAtOnce: z.boolean(),
});

export const defaultSeverityRules = {
  // A sev1 (data loss, clinical work interrupted) skips the first line and tells leadership at once.
  sev1: { startLevel: 2, leadershipAtOnce: true },
  sev2: { startLevel: 1, leadershipAtOnce: false },
  sev3: { startLevel: 1, leadershipAtOnce: false },
  sev4: { startLevel: 1, leadershipAtOnce: false },
};

export const EscalationPolicy = z.object({
  /** The hospital's zone: times in e-mails are shown in it. */
  timeZone: TimeZone,
  levels: z.array(EscalationLevel).min(1).max(10),
  /** Target: resolution within 1 hour of the acknowledgement. */
  resolutionTimeoutMinutes: z
    .number()
    .int()
    .min(1)
    .max(7 * 24 * 60)
    .default(60),
  /** How many more times the whole ladder is climbed after the first. */
  repeats: z.number().int().min(0).max(9).default(2),
  /** Told when the ladder tops out (and at once for severities that say so). */
  leadership: z.array(PersonId).max(50).default([]),
  /** A start level beyond the ladder starts at its last level. */
  severities: z.object({ sev1: SeverityRule, sev2: SeverityRule, sev3: SeverityRule, sev4: SeverityRule }).default(defaultSeverityRules),
});
export type EscalationPolicy = z.infer<typeof EscalationPolicy>;
export type EscalationPolicyInput = z.input<typeof EscalationPolicy>;

export interface LadderPosition {
  round: number;
  /** 1-based. */
  level: number;
}

export function startPosition(policy: EscalationPolicy, severity: Severity): LadderPosition {
  return { round: 1, level: Math.min(policy.severities[severity].startLevel, policy.levels.length) };
}

/**
 * The step after `pos`: the next level, or (past the last level: the ladder tops out and
 * leadership is told) the start level of the next round, or null once every round is spent.
 */
export function advance(
  policy: EscalationPolicy,
  severity: Severity,
  pos: LadderPosition,
): { next: LadderPosition | null; toppedOut: boolean } {
  if (pos.level < policy.levels.length) return { next: { round: pos.round, level: pos.level + 1 }, toppedOut: false };
  if (pos.round < policy.repeats + 1)
    return { next: { round: pos.round + 1, level: startPosition(policy, severity).level }, toppedOut: true };
  return { next: null, toppedOut: true };
}

export const ackTimeoutMs = (policy: EscalationPolicy, level: number) => policy.levels[level - 1]!.ackTimeoutMinutes * 60_000;

export interface LadderStep extends LadderPosition {
  /** When this level is notified, relative to `fromMs`. */
  atMs: number;
  /** When leadership is told (this level was the last): its timeout's end; else absent. */
  topAtMs?: number;
}

/** The whole climb from `from` when nobody acknowledges: every notification and when it goes out. */
export function ladderSchedule(
  policy: EscalationPolicy,
  severity: Severity,
  from: LadderPosition = startPosition(policy, severity),
): LadderStep[] {
  const steps: LadderStep[] = [];
  let at = 0;
  for (let pos: LadderPosition | null = from; pos;) {
    const end = at + ackTimeoutMs(policy, pos.level);
    const { next, toppedOut } = advance(policy, severity, pos);
    steps.push({ ...pos, atMs: at, ...(toppedOut ? { topAtMs: end } : {}) });
    at = end;
    pos = next;
  }
  return steps;
}

// ---------------------------------------------------------------------------------------------
// The incident workflow's input and messages

export const IncidentInput = z.object({
  /** Becomes the incident id (unique per incident, unlike the workflow id, which dedupes). */
  raiseId: z.uuid(),
  programId: Code,
  /** Empty: the whole program. */
  departments: z.array(Code).max(100).default([]),
  condition: Condition,
  severity: Severity,
  counts: Counts.default({}),
  /** The comparison domains it is about (names from the plan), for a comparison incident. */
  domains: z.array(DomainName).max(100).optional(),
  policy: EscalationPolicy,
  /** A workflow id or a person id: who raised it. */
  raisedBy: z.string().min(1).max(200),
});
export type IncidentInput = z.infer<typeof IncidentInput>;
export type IncidentInputIn = z.input<typeof IncidentInput>;

/**
 * The incident workflow as its starters see it: a type name and a signature, so the API and the
 * use cases start it without importing workflows/ (workflows/incident.ts checks it fits).
 */
export const incidentWorkflowType = 'incidentWorkflow';
export type IncidentWorkflow = (input: IncidentInput) => Promise<IncidentStatus>;

/**
 * Who performs an acknowledgement or resolution: the API passes the authenticated person. The one
 * Actor with the name people are shown (domain/people.ts), under the name this workflow imports.
 */
export { Actor };

/** incidentId: the incident the caller means; a later incident under the same workflow id refuses it. */
export const AcknowledgeInput = z.object({ by: Actor, incidentId: z.string().optional() });
export type AcknowledgeInput = z.infer<typeof AcknowledgeInput>;

export const ResolutionCode = z.enum(['fixed', 'workaround', 'rolled-back', 'false-alarm', 'duplicate', 'not-reproducible', 'other']);
export type ResolutionCode = z.infer<typeof ResolutionCode>;

/** The resolution note's text stays in PostgreSQL (incident_notes): the workflow gets its id only. */
export const ResolveInput = z.object({
  by: Actor,
  code: ResolutionCode,
  noteId: z.number().int().positive().optional(),
  incidentId: z.string().optional(),
});
export type ResolveInput = z.infer<typeof ResolveInput>;

/** A raise of a condition that already has an open incident: counted, nobody e-mailed again. */
export const AlertRepeatedInput = z.object({ raiseId: z.uuid(), counts: Counts.default({}) });
export type AlertRepeatedInput = z.infer<typeof AlertRepeatedInput>;

export const IncidentState = z.enum(['open', 'acknowledged', 'resolved']);
export type IncidentState = z.infer<typeof IncidentState>;

export const Owner = z.object({ personId: z.string(), displayName: z.string(), acknowledgedAt: z.string() });
export type Owner = z.infer<typeof Owner>;

export const IncidentStatus = z.object({
  incidentId: z.string(),
  programId: z.string(),
  departments: z.array(z.string()),
  condition: Condition,
  severity: Severity,
  status: IncidentState,
  raisedAt: z.string(),
  /** Where the climb is (or stopped); null before the first notice. */
  position: z.object({ round: z.number(), level: z.number() }).nullable(),
  /** Every round spent and nobody acknowledged: waiting for someone to own it. */
  exhausted: z.boolean(),
  owner: Owner.nullable(),
  repeats: z.number(),
  notices: z.object({ sent: z.number(), delivered: z.number(), failed: z.number() }),
  resolvedAt: z.string().nullable(),
  resolutionCode: ResolutionCode.nullable(),
});
export type IncidentStatus = z.infer<typeof IncidentStatus>;

export const acknowledgeUpdate = defineUpdate<Owner, [AcknowledgeInput]>('acknowledge');
export const resolveUpdate = defineUpdate<IncidentStatus, [ResolveInput]>('resolve');
export const alertRepeatedSignal = defineSignal<[AlertRepeatedInput]>('alertRepeated');
export const incidentStatusQuery = defineQuery<IncidentStatus>('incidentStatus');

/** Roles that may own any incident, on the ladder or not. */
export const ackRoles: readonly Role[] = roleGroups.incidentOwners;
export const resolveRoles: readonly Role[] = roleGroups.responders;

/** The department part of an incident's workflow id: one department, or the whole program. */
export const incidentDeptKey = (departments: readonly string[]) => (departments.length === 1 ? departments[0]! : 'all');
