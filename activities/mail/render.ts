/**
 * Rendering a message (activities/mail/templates.ts holds their schemas) in the reader's locale:
 * every word from the catalogs (domain/i18n), so this file holds no sentence of its own
 * (tests/unit/i18n.test.ts scans it).
 */
import type { z } from 'zod';
import { conditionWords, whatHappened } from '../../domain/incident-words';
import { fallbackLocale, hospitalTime, list, t, type Locale, type MessageKey, type Values } from '../../domain/i18n';
import type { Condition, Severity } from '../../domain/escalation';
import type { GateFacts, IncidentFacts, MailMessage, RunbookTaskFacts } from './templates';

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

/** Where links point and which language the reader reads. */
export interface RenderOptions {
  baseUrl: string;
  locale?: Locale;
  /** A runbook task notice invites a `DONE` reply (e-mail only, and only where golive receives mail). */
  replyToCheckOff?: boolean;
}

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

function layout({ subject, lines }: MessageParts, locale: Locale): RenderedMail {
  const text = lines.map((l) => (typeof l === 'string' ? l : `${l.label}: ${l.href}`));
  const html = lines.map((l) =>
    typeof l === 'string' ? `<p>${escapeHtml(l)}</p>` : `<p><a href="${escapeHtml(l.href)}">${escapeHtml(l.label)}</a></p>`,
  );
  const footer = t(locale, 'mail.footer');
  return {
    subject,
    text: text.join('\n') + `\n\n${footer}\n`,
    html: `<!doctype html><html lang="${locale}"><body style="font-family:sans-serif">${html.join('')}<p style="color:#666">${escapeHtml(footer)}</p></body></html>`,
  };
}

export { whatHappened };

export const renderMail = (message: MailMessage, options: RenderOptions): RenderedMail =>
  layout(messageParts(message, options), options.locale ?? fallbackLocale);

/** The words of one message in one locale; every line comes from the catalog. */
function writer(locale: Locale, base: string) {
  const w = {
    t: (key: MessageKey, values?: Values) => t(locale, key, values),
    time: (iso: string, timeZone: string) => hospitalTime(iso, timeZone, locale),
    depts: (d: string[]) => (d.length ? list(locale, d) : t(locale, 'departments.all')),
    severity: (s: Severity) => t(locale, `severity.${s}`),
    condition: (c: Condition) => conditionWords(c, locale),
    tag: (m: { severity: Severity; programId: string; departments: string[] }) =>
      t(locale, 'mail.tag', { severity: w.severity(m.severity), program: m.programId, departments: w.depts(m.departments) }),
    gateName: (m: { gateId: string }) => {
      const exit = /^exit-(\d+)$/.exec(m.gateId);
      return t(locale, 'gate.name', { kind: exit ? 'exit' : m.gateId, wave: exit ? Number(exit[1]) : 0 });
    },
    incidentLines(m: z.infer<typeof IncidentFacts>, expected: MessageKey, ackToken?: string): Line[] {
      return [
        w.t('incident.line.id', { id: m.incidentId }),
        w.t('line.program', { program: m.programId }),
        w.t('line.departments', { departments: w.depts(m.departments) }),
        w.t('incident.line.severity', { severity: w.severity(m.severity) }),
        w.t('line.status', { status: w.t(`incident.state.${m.status}`) }),
        w.t('incident.line.what', { what: whatHappened(m.condition, m.counts, locale) }),
        ...(m.domains?.length
          ? [
              w.t('incident.line.domains', {
                domains: list(
                  locale,
                  m.domains.map((d) => d.replace(/_/g, ' ')),
                ),
              }),
            ]
          : []),
        w.t('line.since', { time: w.time(m.since, m.timeZone) }),
        w.t('incident.line.owner', { owner: m.owner ?? w.t('incident.owner.nobody') }),
        w.t('line.expected', { expected: w.t(expected) }),
        { label: w.t('link.details'), href: `${base}/incidents/${m.incidentId}` },
        ...(ackToken ? [{ label: w.t('incident.link.acknowledge'), href: `${base}/ack/${ackToken}` }] : []),
      ];
    },
    gateLines(m: z.infer<typeof GateFacts>, status: string, expected: MessageKey, decide = true): Line[] {
      const link = `${base}/programs/${m.programId}/gates/${m.gateId}`;
      return [
        w.t('gate.line.gate', { gate: w.gateName(m) }),
        w.t('line.program', { program: m.programId }),
        w.t('line.departments', { departments: w.depts(m.departments) }),
        w.t('line.status', { status }),
        w.t('gate.line.evidence', { met: m.criteriaMet, total: m.criteriaTotal }),
        w.t('line.since', { time: w.time(m.since, m.timeZone) }),
        w.t('gate.line.due', { time: w.time(m.deadline, m.timeZone) }),
        w.t('line.expected', { expected: w.t(expected) }),
        { label: w.t('link.details'), href: link },
        ...(decide ? [{ label: w.t('gate.link.decide'), href: `${link}/decide` }] : []),
      ];
    },
  };
  return w;
}

const yes = (b: boolean) => (b ? 'yes' : 'no');

/** The subject and lines of a message, for any channel, in the reader's locale. */
export function messageParts(message: MailMessage, options: RenderOptions): MessageParts {
  const base = options.baseUrl.replace(/\/+$/, '');
  const w = writer(options.locale ?? fallbackLocale, base);
  const m = message;
  switch (m.template) {
    case 'test':
      return {
        subject: w.t('test.subject'),
        lines: [
          w.t('test.intro'),
          w.t('test.requestedBy', { name: m.requestedBy }),
          w.t('test.reference', { reference: m.reference }),
          w.t('test.expected'),
        ],
      };
    case 'incident':
      return {
        subject: w.t('incident.subject', { tag: w.tag(m), condition: w.condition(m.condition) }),
        lines: [
          m.audience === 'leadership'
            ? w.t('incident.leadership', { severity: w.severity(m.severity) })
            : w.t('incident.level', { level: m.level, round: m.round }),
          ...w.incidentLines(m, 'incident.expected.acknowledge', m.ackToken),
        ],
      };
    case 'escalation':
      return {
        subject: w.t('escalation.subject', { tag: w.tag(m), condition: w.condition(m.condition), minutes: m.minutesUnacknowledged }),
        lines: [
          m.toppedOut
            ? w.t('escalation.toppedOut', { round: m.round })
            : w.t('escalation.climb', { minutes: m.minutesUnacknowledged, level: m.level, round: m.round }),
          ...w.incidentLines(m, m.toppedOut ? 'escalation.expected.ownIt' : 'incident.expected.acknowledge', m.ackToken),
        ],
      };
    case 'reminder':
      return {
        subject: w.t('reminder.subject', { tag: w.tag(m), condition: w.condition(m.condition), minutes: m.minutesSinceAck }),
        lines: [w.t('reminder.body', { minutes: m.minutesSinceAck }), ...w.incidentLines(m, 'reminder.expected', m.ackToken)],
      };
    case 'acknowledgement':
      return {
        subject: w.t('acknowledgement.subject', { tag: w.tag(m), condition: w.condition(m.condition), owner: m.owner }),
        lines: [w.t('acknowledgement.body', { owner: m.owner }), ...w.incidentLines(m, 'acknowledgement.expected')],
      };
    case 'resolution': {
      const resolution = w.t(`resolutionCode.${m.resolutionCode}`);
      return {
        subject: w.t('resolution.subject', { tag: w.tag(m), condition: w.condition(m.condition), resolution }),
        lines: [
          w.t('resolution.body', { name: m.resolvedBy, minutes: m.minutesOpen, resolution }),
          ...w.incidentLines(m, 'resolution.expected'),
        ],
      };
    }
    case 'gate-opened':
      return {
        subject: w.t('gate-opened.subject', { program: m.programId, gate: w.gateName(m) }),
        lines: w.gateLines(m, w.t('gate.status.open'), 'gate-opened.expected'),
      };
    case 'gate-overdue':
      return {
        subject: w.t('gate-overdue.subject', { program: m.programId, gate: w.gateName(m), minutes: m.minutesOverdue }),
        lines: w.gateLines(m, w.t('gate.status.overdue', { minutes: m.minutesOverdue }), 'gate-overdue.expected'),
      };
    case 'gate-decided':
      return {
        subject: w.t('gate-decided.subject', { program: m.programId, gate: w.gateName(m), decision: m.decision }),
        lines: [
          w.t('gate-decided.body', {
            decision: m.decision,
            overridden: yes(m.overridden),
            names: list(options.locale ?? fallbackLocale, m.decidedBy),
          }),
          ...w.gateLines(m, w.t('gate.status.decided', { decision: m.decision }), 'gate-decided.expected', false),
        ],
      };
    case 'emergency-declared':
      return {
        subject: w.t('emergency.subject', { program: m.programId, departments: w.depts(m.departments) }),
        lines: [
          w.t('emergency.body', { name: m.declaredBy, condition: w.condition(m.condition) }),
          w.t('line.program', { program: m.programId }),
          w.t('line.departments', { departments: w.depts(m.departments) }),
          w.t('line.status', { status: w.t('emergency.status') }),
          w.t('line.since', { time: w.time(m.since, m.timeZone) }),
          w.t('line.expected', { expected: w.t('emergency.expected') }),
          { label: w.t('link.details'), href: m.incidentId ? `${base}/incidents/${m.incidentId}` : `${base}/programs/${m.programId}` },
        ],
      };
    case 'all-clear':
      return {
        subject: w.t('all-clear.subject', { program: m.programId, departments: w.depts(m.departments) }),
        lines: [
          w.t('all-clear.body', { name: m.declaredBy, records: m.backEnteredRecords }),
          w.t('line.program', { program: m.programId }),
          w.t('line.departments', { departments: w.depts(m.departments) }),
          w.t('line.status', { status: w.t('all-clear.status') }),
          w.t('line.since', { time: w.t('time.range', { from: w.time(m.since, m.timeZone), to: w.time(m.endedAt, m.timeZone) }) }),
          w.t('line.expected', { expected: w.t('all-clear.expected') }),
          { label: w.t('link.details'), href: `${base}/programs/${m.programId}` },
        ],
      };
    case 'runbook-task':
      return runbookParts(m, w, base, options.replyToCheckOff ?? false);
  }
}

function runbookParts(
  m: z.infer<typeof RunbookTaskFacts>,
  w: ReturnType<typeof writer>,
  base: string,
  replyToCheckOff: boolean,
): MessageParts {
  const link = `${base}/programs/${m.programId}/runbooks/${m.runId}#task-${m.taskId}`;
  return {
    subject: w.t('runbook.subject', {
      rehearsal: yes(m.rehearsal),
      program: m.programId,
      task: m.taskId,
      event: m.event,
      minutes: m.minutesLate ?? 0,
    }),
    lines: [
      ...(m.rehearsal ? [w.t('runbook.rehearsal')] : []),
      w.t('runbook.line.task', { run: m.runId, task: m.taskId, kind: w.t(`runbook.kind.${m.taskKind}`) }),
      w.t('line.program', { program: m.programId }),
      ...(m.department ? [w.t('line.department', { department: m.department })] : []),
      w.t('line.since', { time: w.time(m.since, m.timeZone) }),
      w.t('runbook.line.due', { time: w.time(m.due, m.timeZone) }),
      ...(m.signatures === 2 ? [w.t('runbook.twoPerson')] : []),
      w.t('line.expected', { expected: w.t(`runbook.expected.${m.event}`) }),
      ...(replyToCheckOff ? [w.t('runbook.replyDone', { command: `DONE ${m.taskId}` })] : []),
      { label: w.t('runbook.link'), href: link },
      ...(m.checkToken ? [{ label: w.t('runbook.link.checkOff'), href: `${base}/check/${m.checkToken}` }] : []),
    ],
  };
}
