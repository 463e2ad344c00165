/**
 * E-mail templates. Inputs are typed so that only codes, counts and opaque references can
 * reach a message: there is no free-text field a caller could fill with patient data, and an
 * unknown field is refused rather than dropped. The one kind of name allowed is a staff
 * member's display name, taken from the people directory. (The older `test` template still
 * takes a free `requestedBy` and `reference`; tests/unit/mail-privacy.test.ts scans the rest.)
 */
import { z } from 'zod';
import { conditionText, whatHappened } from '../../domain/incident-words';
import { TaskKind } from '../../domain/runbook';
import { Code, Condition, Counts, IncidentState, ResolutionCode, Severity, TimeZone } from '../../domain/escalation';

/** A staff member's display name from the people table (who owns it, who decided). */
const StaffName = z.string().min(1).max(100);
/** The random single-use acknowledge token (32 bytes, base64url); the page behind it asks who you are. */
const AckToken = z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'must be an acknowledge token');
const Instant = z.iso.datetime({ offset: true });

/** What every incident e-mail says about its incident. */
const IncidentFacts = z.strictObject({
  incidentId: z.uuid(),
  programId: Code,
  departments: z.array(Code).max(100),
  severity: Severity,
  status: IncidentState,
  condition: Condition,
  counts: Counts,
  since: Instant,
  timeZone: TimeZone,
  owner: StaffName.optional(),
});

const GateFacts = z.strictObject({
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
const RunbookTaskFacts = z.strictObject({
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

export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
}

/** A line of a message: words, or a link. Mail lays them out as text and HTML, chat as markdown. */
export type Line = string | { label: string; href: string };

/** What a message says, before a channel lays it out. */
export interface MessageParts {
  subject: string;
  lines: Line[];
}

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

function layout({ subject, lines }: MessageParts): RenderedMail {
  const text = lines.map((l) => (typeof l === 'string' ? l : `${l.label}: ${l.href}`));
  const html = lines.map((l) =>
    typeof l === 'string' ? `<p>${escapeHtml(l)}</p>` : `<p><a href="${escapeHtml(l.href)}">${escapeHtml(l.label)}</a></p>`,
  );
  return {
    subject,
    text: text.join('\n') + '\n\n-- golive\n',
    html: `<!doctype html><html><body style="font-family:sans-serif">${html.join('')}<p style="color:#666">-- golive</p></body></html>`,
  };
}

/** "2026-03-02 23:50 Asia/Shanghai": the hospital's wall clock, with its zone. */
export function hospitalTime(iso: string, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(new Date(iso));
  const get = (type: string) => parts.find((p) => p.type === type)!.value;
  return `${get('year')}-${get('month')}-${get('day')} ${get('hour')}:${get('minute')} ${timeZone}`;
}

export { whatHappened };

const depts = (d: string[]) => (d.length ? d.join(', ') : 'all');

function incidentLines(m: z.infer<typeof IncidentFacts>, baseUrl: string, expected: string, ackToken?: string): Line[] {
  return [
    `Incident ${m.incidentId}`,
    `Program: ${m.programId}`,
    `Departments: ${depts(m.departments)}`,
    `Severity: ${m.severity.toUpperCase()}`,
    `Status: ${m.status}`,
    `What happened: ${whatHappened(m.condition, m.counts)}`,
    `Since: ${hospitalTime(m.since, m.timeZone)}`,
    `Owner: ${m.owner ?? 'nobody yet'}`,
    `Expected of you: ${expected}`,
    { label: 'Details', href: `${baseUrl}/incidents/${m.incidentId}` },
    ...(ackToken ? [{ label: 'Acknowledge (you will be asked to confirm who you are)', href: `${baseUrl}/ack/${ackToken}` }] : []),
  ];
}

function gateLines(m: z.infer<typeof GateFacts>, baseUrl: string, status: string, expected: string): Line[] {
  const link = `${baseUrl}/programs/${m.programId}/gates/${m.gateId}`;
  return [
    `Gate ${m.gateId} (${m.gateKind})`,
    `Program: ${m.programId}`,
    `Departments: ${depts(m.departments)}`,
    `Status: ${status}`,
    `Evidence: ${m.criteriaMet} of ${m.criteriaTotal} criteria met`,
    `Since: ${hospitalTime(m.since, m.timeZone)}`,
    `Decision due: ${hospitalTime(m.deadline, m.timeZone)}`,
    `Expected of you: ${expected}`,
    { label: 'Details', href: link },
    { label: 'Decide', href: `${link}/decide` },
  ];
}

const tag = (m: { severity: Severity; programId: string; departments: string[] }) =>
  `[golive ${m.severity.toUpperCase()}] ${m.programId}/${depts(m.departments)}`;

/** Links of a message; a runbook task notice may also invite a `DONE` reply (e-mail only: a chat has no Reply-To). */
export interface MessageLinks {
  baseUrl: string;
  replyToCheckOff?: boolean;
}

export const renderMail = (message: MailMessage, links: MessageLinks): RenderedMail => layout(messageParts(message, links));

const parts = (subject: string, lines: Line[]): MessageParts => ({ subject, lines });

/** The subject and lines of a message, for any channel. */
export function messageParts(message: MailMessage, links: MessageLinks): MessageParts {
  const base = links.baseUrl.replace(/\/+$/, '');
  const m = message;
  switch (m.template) {
    case 'test':
      return parts('[golive] Test notification', [
        'This is a test notification from golive.',
        `Requested by: ${m.requestedBy}`,
        `Reference: ${m.reference}`,
        'Nothing is expected of you: this message only proves that golive can reach you.',
      ]);
    case 'incident':
      return parts(`${tag(m)}: ${m.condition}`, [
        m.audience === 'leadership'
          ? `A ${m.severity.toUpperCase()} incident: leadership is told at once.`
          : `You are on escalation level ${m.level} (round ${m.round}).`,
        ...incidentLines(m, base, 'acknowledge if you take it, so the ladder stops climbing.', m.ackToken),
      ]);
    case 'escalation':
      return parts(`${tag(m)}: ${m.condition} unacknowledged for ${m.minutesUnacknowledged} min`, [
        m.toppedOut
          ? `Nobody on the escalation ladder acknowledged this incident (round ${m.round}); you are told as leadership.`
          : `Nobody acknowledged this incident for ${m.minutesUnacknowledged} minutes; it now reaches level ${m.level} (round ${m.round}).`,
        ...incidentLines(
          m,
          base,
          m.toppedOut ? 'make sure someone owns it now.' : 'acknowledge if you take it, so the ladder stops climbing.',
          m.ackToken,
        ),
      ]);
    case 'reminder':
      return parts(`${tag(m)}: ${m.condition} not resolved ${m.minutesSinceAck} min after acknowledgement`, [
        `You acknowledged this incident ${m.minutesSinceAck} minutes ago and it is not resolved; the ladder climbs again.`,
        ...incidentLines(m, base, 'resolve it, or acknowledge again to keep owning it.', m.ackToken),
      ]);
    case 'acknowledgement':
      return parts(`${tag(m)}: ${m.condition} acknowledged by ${m.owner}`, [
        `${m.owner} owns this incident now.`,
        ...incidentLines(m, base, 'nothing; the owner works on it.'),
      ]);
    case 'resolution':
      return parts(`${tag(m)}: ${m.condition} resolved (${m.resolutionCode})`, [
        `Resolved by ${m.resolvedBy} after ${m.minutesOpen} minutes: ${m.resolutionCode}.`,
        ...incidentLines(m, base, 'nothing; the incident is closed.'),
      ]);
    case 'gate-opened':
      return parts(
        `[golive] ${m.programId}: gate ${m.gateId} awaits your decision`,
        gateLines(m, base, 'open', 'review the evidence and decide go or no-go before the deadline.'),
      );
    case 'gate-overdue':
      return parts(
        `[golive] ${m.programId}: gate ${m.gateId} decision overdue by ${m.minutesOverdue} min`,
        gateLines(m, base, `overdue by ${m.minutesOverdue} minutes`, 'decide now, or tell the cutover lead why not.'),
      );
    case 'gate-decided':
      return parts(`[golive] ${m.programId}: gate ${m.gateId} decided ${m.decision}`, [
        `Decision: ${m.decision}${m.overridden ? ' (criteria overridden)' : ''}, by ${m.decidedBy.join(', ')}.`,
        ...gateLines(m, base, `decided ${m.decision}`, 'nothing; this records the decision.').filter(
          (l) => typeof l === 'string' || l.label !== 'Decide',
        ),
      ]);
    case 'emergency-declared':
      return parts(`[golive EMERGENCY] ${m.programId}/${depts(m.departments)}: paper operation`, [
        `Emergency declared by ${m.declaredBy}: ${conditionText[m.condition]}.`,
        `Program: ${m.programId}`,
        `Departments: ${depts(m.departments)}`,
        'Status: cutover paused; affected departments work on paper',
        `Since: ${hospitalTime(m.since, m.timeZone)}`,
        'Expected of you: follow the downtime procedure for your department and report to the command center.',
        { label: 'Details', href: m.incidentId ? `${base}/incidents/${m.incidentId}` : `${base}/programs/${m.programId}` },
      ]);
    case 'all-clear':
      return parts(`[golive] ${m.programId}/${depts(m.departments)}: all clear`, [
        `All clear given by ${m.declaredBy}: systems are back and the back-entry backlog is empty (${m.backEnteredRecords} records entered).`,
        `Program: ${m.programId}`,
        `Departments: ${depts(m.departments)}`,
        'Status: emergency over',
        `Since: ${hospitalTime(m.since, m.timeZone)} until ${hospitalTime(m.endedAt, m.timeZone)}`,
        'Expected of you: return to working in the system.',
        { label: 'Details', href: `${base}/programs/${m.programId}` },
      ]);
    case 'runbook-task':
      return runbookMail(m, base, links.replyToCheckOff ?? false);
  }
}

const runbookExpected: Record<z.infer<typeof RunbookTaskFacts>['event'], string> = {
  ready: 'do the task now and check it off on the runbook page.',
  notification: 'nothing; the night has reached this point.',
  late: 'finish the task or tell the command center what holds it: the night cannot end before it does.',
  failed: 'look at the task on the runbook page; the tasks after it wait.',
};

function runbookMail(m: z.infer<typeof RunbookTaskFacts>, base: string, replyToCheckOff: boolean): MessageParts {
  const what = { ready: 'is yours now', notification: 'reached', late: `is ${m.minutesLate ?? 0} min late`, failed: 'failed' }[m.event];
  const link = `${base}/programs/${m.programId}/runbooks/${m.runId}#task-${m.taskId}`;
  return parts(`[golive${m.rehearsal ? ' REHEARSAL' : ''}] ${m.programId}: runbook task ${m.taskId} ${what}`, [
    ...(m.rehearsal ? ['REHEARSAL: nothing in the hospital changes; time this task as you would on the night.'] : []),
    `Runbook ${m.runId}, task ${m.taskId} (${m.taskKind})`,
    `Program: ${m.programId}`,
    ...(m.department ? [`Department: ${m.department}`] : []),
    `Since: ${hospitalTime(m.since, m.timeZone)}`,
    `Planned to finish: ${hospitalTime(m.due, m.timeZone)}`,
    ...(m.signatures === 2 ? ['Two people sign this task off: you and a colleague.'] : []),
    `Expected of you: ${runbookExpected[m.event]}`,
    ...(replyToCheckOff ? [`Or reply to this e-mail with the first line DONE ${m.taskId} to check it off (your signature).`] : []),
    { label: 'Runbook', href: link },
  ]);
}
