import { describe, expect, it } from 'vitest';
import { chatRequest } from '../../activities/chat/formats';
import { messageParts, renderMail } from '../../activities/mail/render';
import { MailMessage } from '../../activities/mail/templates';
import { ChatKind } from '../../domain/chat';
import { locales, type Locale } from '../../domain/i18n';

/**
 * The privacy scan: patient data planted in every field of every template input. Each attempt
 * must either be refused by the template's schema or leave no trace in subject, text or HTML.
 */
const planted = ['张伟', 'MRN-00012345', 'mrn-00012345', 'Patient 张伟 (MRN-00012345) not found in HIS'];

/** Staff display names come from the people table, never from a hospital system: they are allowed to show. */
const staffNameFields = new Set(['owner', 'resolvedBy', 'declaredBy', 'decidedBy']);

const incident = {
  incidentId: '0b6f3c1e-6a8d-4c3e-9f1a-2d7c5e8b9a10',
  programId: 'prog-east',
  departments: ['ICU', 'LAB'],
  severity: 'sev2',
  status: 'open',
  condition: 'step-failed',
  counts: { failedSteps: 1 },
  domains: ['lab_results'],
  since: '2026-03-02T15:50:00.000Z',
  timeZone: 'Asia/Shanghai',
  owner: 'Staff Wang',
};
const ackToken = 'A'.repeat(43);
const gate = {
  gateId: 'gate-expand-2',
  gateKind: 'expansion',
  programId: 'prog-east',
  departments: ['ICU'],
  since: '2026-03-02T01:00:00.000Z',
  deadline: '2026-03-03T01:00:00.000Z',
  timeZone: 'Asia/Shanghai',
  criteriaMet: 5,
  criteriaTotal: 6,
};

const samples: Record<Exclude<MailMessage['template'], 'test'>, Record<string, unknown>> = {
  incident: { template: 'incident', audience: 'ladder', ...incident, level: 1, round: 1, ackToken },
  escalation: { template: 'escalation', ...incident, level: 2, round: 1, ackToken, toppedOut: false, minutesUnacknowledged: 15 },
  reminder: { template: 'reminder', ...incident, minutesSinceAck: 60, ackToken },
  acknowledgement: { template: 'acknowledgement', ...incident },
  resolution: { template: 'resolution', ...incident, status: 'resolved', resolvedBy: 'Staff Li', resolutionCode: 'fixed', minutesOpen: 42 },
  'gate-opened': { template: 'gate-opened', ...gate },
  'gate-overdue': { template: 'gate-overdue', ...gate, minutesOverdue: 30 },
  'gate-decided': { template: 'gate-decided', ...gate, decision: 'go', decidedBy: ['Staff Zhao'], overridden: false },
  'emergency-declared': {
    template: 'emergency-declared',
    programId: 'prog-east',
    departments: ['ICU'],
    condition: 'step-failed',
    incidentId: incident.incidentId,
    declaredBy: 'Staff Wang',
    since: incident.since,
    timeZone: 'Asia/Shanghai',
  },
  'all-clear': {
    template: 'all-clear',
    programId: 'prog-east',
    departments: ['ICU'],
    since: incident.since,
    endedAt: '2026-03-02T19:00:00.000Z',
    timeZone: 'Asia/Shanghai',
    declaredBy: 'Staff Wang',
    backEnteredRecords: 120,
  },
  'runbook-task': {
    template: 'runbook-task',
    event: 'late',
    programId: 'prog-east',
    runId: 'pilot-dress-1',
    taskId: 'convert-census',
    taskKind: 'manual',
    department: 'ICU',
    since: incident.since,
    due: '2026-03-02T19:00:00.000Z',
    timeZone: 'Asia/Shanghai',
    signatures: 2,
    minutesLate: 12,
    rehearsal: true,
    checkToken: ackToken,
  },
};

/** Every place a string could go: string leaves and array elements, plus a new key in every object. */
function slots(value: unknown, path: (string | number)[] = []): { path: (string | number)[]; key?: boolean }[] {
  if (Array.isArray(value)) return [...value.flatMap((v, i) => slots(v, [...path, i])), { path: [...path, value.length] }];
  if (value && typeof value === 'object')
    return [...Object.entries(value).flatMap(([k, v]) => slots(v, [...path, k])), { path, key: true }];
  return path.length ? [{ path }] : [];
}

function plant(sample: Record<string, unknown>, slot: { path: (string | number)[]; key?: boolean }, text: string): unknown {
  const copy = structuredClone(sample);
  let at: Record<string | number, unknown> = copy;
  const path = slot.key ? slot.path : slot.path.slice(0, -1);
  for (const p of path) at = at[p] as Record<string | number, unknown>;
  if (slot.key) at[text] = 1;
  else at[slot.path.at(-1)!] = text;
  return copy;
}

/** The e-mail and the same message as each chat webhook would post it, in every locale. */
const render = (m: unknown) => locales.map((locale) => renderIn(m, locale)).join('\n');
const renderIn = (m: unknown, locale: Locale) => {
  const message = MailMessage.parse(m);
  const links = { baseUrl: 'https://golive.hospital.test', locale };
  const r = renderMail(message, links);
  const chats = ChatKind.options.map(
    (kind) =>
      chatRequest(
        { kind, url: 'https://robot.test/send?key=k', secret: 'a-secret-of-16-chars' },
        { ...messageParts(message, links), template: message.template },
        'key',
        0,
      ).body,
  );
  return [r.subject, r.text, r.html, ...chats].join('\n');
};

describe('mail privacy', () => {
  it('every sample renders, in text and HTML, with the details and acknowledge links', () => {
    for (const [name, sample] of Object.entries(samples)) {
      expect(MailMessage.safeParse(sample).success, name).toBe(true);
    }
    const text = renderMail(MailMessage.parse(samples.incident), { baseUrl: 'https://golive.hospital.test' }).text;
    expect(text).toBe(
      [
        'You are on escalation level 1 (round 1).',
        'Incident 0b6f3c1e-6a8d-4c3e-9f1a-2d7c5e8b9a10',
        'Program: prog-east',
        'Departments: ICU, LAB',
        'Severity: SEV2',
        'Status: open',
        'What happened: a go-live step failed (1 failed step)',
        'Comparison domains: lab results',
        'Since: 2026-03-02 23:50 Asia/Shanghai',
        'Owner: Staff Wang',
        'Expected of you: acknowledge if you take it, so the ladder stops climbing.',
        'Details: https://golive.hospital.test/incidents/0b6f3c1e-6a8d-4c3e-9f1a-2d7c5e8b9a10',
        `Acknowledge (you will be asked to confirm who you are): https://golive.hospital.test/ack/${ackToken}`,
        '',
        '-- golive',
        '',
      ].join('\n'),
    );
  });

  it("a runbook task's e-mail carries its reader's check-off link and says rehearsal", () => {
    const text = renderMail(MailMessage.parse(samples['runbook-task']), { baseUrl: 'https://golive.hospital.test' }).text;
    expect(text).toContain(`Check it off (the page asks you to confirm): https://golive.hospital.test/check/${ackToken}`);
    expect(text.split('\n')[0]).toMatch(/^REHEARSAL/);
    expect(MailMessage.safeParse({ ...samples['runbook-task'], checkToken: 'short' }).success).toBe(false);
  });

  for (const [name, sample] of Object.entries(samples)) {
    it(`${name}: no field can carry a patient name or record number into the e-mail`, () => {
      let tried = 0;
      let refused = 0;
      for (const slot of slots(sample)) {
        if (slot.path[0] === 'template' || staffNameFields.has(String(slot.path[0]))) continue;
        for (const text of planted) {
          tried++;
          const message = plant(sample, slot, text);
          if (!MailMessage.safeParse(message).success) {
            refused++;
            continue;
          }
          const out = render(message);
          for (const p of planted) expect(out, `${name} ${slot.path.join('.')}${slot.key ? ' (key)' : ''}`).not.toContain(p);
        }
      }
      expect(tried).toBeGreaterThan(20);
      // Nothing was merely dropped at render time: the schema itself refuses every planting.
      expect(refused).toBe(tried);
    });
  }

  it('staff display names are the one kind of name shown, and only where the template says who', () => {
    const out = render({ ...samples.acknowledgement, owner: 'Staff Wang' });
    expect(out).toContain('Staff Wang owns this incident now.');
  });
});
