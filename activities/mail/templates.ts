/**
 * E-mail templates. Inputs are typed so that only codes, counts and opaque references can
 * reach a message: there is no free-text field a caller could fill with patient data, and an
 * unknown field is refused rather than dropped. The one kind of name allowed is a staff
 * member's display name, taken from the people directory. (The older `test` template still
 * takes a free `requestedBy` and `reference`; tests/unit/mail-privacy.test.ts scans the rest.)
 */
import { z } from 'zod';
import { TaskKind } from '../../domain/runbook';
import { Code, Condition, Counts, IncidentState, ResolutionCode, Severity, TimeZone } from '../../domain/escalation';
import { DomainName } from '../../domain/plan';

/** A staff member's display name from the people table (who owns it, who decided). */
const StaffName = z.string().min(1).max(100);
/** The random single-use acknowledge token (32 bytes, base64url); the page behind it asks who you are. */
const AckToken = z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'must be an acknowledge token');
/** A check-off link's random single-use token, of the same form. */
const LinkToken = z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'must be a link token');
const Instant = z.iso.datetime({ offset: true });

/** What every incident e-mail says about its incident. */
export const IncidentFacts = z.strictObject({
  incidentId: z.uuid(),
  programId: Code,
  departments: z.array(Code).max(100),
  severity: Severity,
  status: IncidentState,
  condition: Condition,
  counts: Counts,
  /**
   * The comparison domains, by their names (codes, like the departments): an e-mail carries no
   * free text of the plan's, so a title could never carry a patient's name into one.
   */
  domains: z.array(DomainName.and(Code)).max(100).optional(),
  since: Instant,
  timeZone: TimeZone,
  owner: StaffName.optional(),
});

export const GateFacts = z.strictObject({
  gateId: Code,
  gateKind: Code,
  programId: Code,
  departments: z.array(Code).max(100),
  since: Instant,
  deadline: Instant,
  timeZone: TimeZone,
  criteriaMet: z.number().int().min(0),
  criteriaTotal: z.number().int().min(0),
});

/** A runbook task's e-mail: codes and times only; the task's words are on the page behind the link. */
export const RunbookTaskFacts = z.strictObject({
  template: z.literal('runbook-task'),
  event: z.enum(['ready', 'notification', 'late', 'failed']),
  programId: Code,
  runId: Code,
  taskId: Code,
  taskKind: TaskKind,
  department: Code.optional(),
  since: Instant,
  due: Instant,
  timeZone: TimeZone,
  signatures: z.number().int().min(1).max(2),
  minutesLate: z.number().int().min(0).optional(),
  /** A rehearsal's e-mail says so in its subject and first line. */
  rehearsal: z.boolean(),
  /** This person's single-use check-off link (added per recipient by the sending activity). */
  checkToken: LinkToken.optional(),
});

/** The ack token is a person's: a message to a rota's group chat goes without it (people sign in to acknowledge). */
const LadderFacts = z.strictObject({
  level: z.number().int().min(1).max(10),
  round: z.number().int().min(1).max(10),
  ackToken: AckToken.optional(),
});

export const MailMessage = z.discriminatedUnion('template', [
  z.object({
    template: z.literal('test'),
    requestedBy: z.string().max(100),
    reference: z.string().max(200),
  }),
  /** The first notice of an incident (the start level, or leadership told at once). */
  IncidentFacts.extend(LadderFacts.shape).extend({ template: z.literal('incident'), audience: z.enum(['ladder', 'leadership']) }),
  /** Nobody acknowledged: the next level (or, topped out, leadership) is told. */
  IncidentFacts.extend(LadderFacts.shape).extend({
    template: z.literal('escalation'),
    toppedOut: z.boolean(),
    minutesUnacknowledged: z.number().int().min(0),
  }),
  /** To the owner: acknowledged but not resolved in time; the ladder climbs again. */
  IncidentFacts.extend({
    template: z.literal('reminder'),
    owner: StaffName,
    minutesSinceAck: z.number().int().min(0),
    ackToken: AckToken.optional(),
  }),
  IncidentFacts.extend({ template: z.literal('acknowledgement'), owner: StaffName }),
  IncidentFacts.extend({
    template: z.literal('resolution'),
    resolvedBy: StaffName,
    resolutionCode: ResolutionCode,
    minutesOpen: z.number().int().min(0),
  }),
  GateFacts.extend({ template: z.literal('gate-opened') }),
  GateFacts.extend({ template: z.literal('gate-overdue'), minutesOverdue: z.number().int().min(0) }),
  GateFacts.extend({
    template: z.literal('gate-decided'),
    decision: z.enum(['go', 'no-go']),
    decidedBy: z.array(StaffName).min(1).max(20),
    overridden: z.boolean(),
  }),
  z.strictObject({
    template: z.literal('emergency-declared'),
    programId: Code,
    departments: z.array(Code).max(100),
    condition: Condition,
    incidentId: z.uuid().optional(),
    declaredBy: StaffName,
    since: Instant,
    timeZone: TimeZone,
  }),
  z.strictObject({
    template: z.literal('all-clear'),
    programId: Code,
    departments: z.array(Code).max(100),
    since: Instant,
    endedAt: Instant,
    timeZone: TimeZone,
    declaredBy: StaffName,
    backEnteredRecords: z.number().int().min(0),
  }),
  RunbookTaskFacts,
]);
export type MailMessage = z.infer<typeof MailMessage>;
export type MailTemplate = MailMessage['template'];
