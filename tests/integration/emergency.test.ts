import { uniqueSuffix } from '../helpers/temporal';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testPlan } from '../../domain/demo-plans';
import type { EmergencyView, ProgramStatus } from '../../domain/rollout';
import { startStack, type TestStack } from '../helpers/stack';

/**
 * The emergency switch to paper through the API on the real dev server: e-mails reach a real
 * SMTP server and hold no patient data; the downtime packet (which does) is for responders only.
 */
let stack: TestStack;
let lead: Record<string, string>;
let oncall: Record<string, string>;
let viewer: Record<string, string>;
const programId = `em-${uniqueSuffix()}`;

beforeAll(async () => {
  stack = await startStack('emergency');
  lead = await stack.as(['lead'], 'p-lead-01');
  oncall = await stack.as(['oncall'], 'p-oncall-01');
  viewer = await stack.as(['viewer']);
  for (const id of ['p-vp-01', 'p-itdir-01', 'p-cmo-01']) await stack.as(['leadership'], id);
});
afterAll(async () => {
  await stack?.stop();
});

const api = async (method: string, path: string, headers: Record<string, string>, body?: unknown) => {
  const res = await fetch(`${stack.url}/v1/programs${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
};

describe('emergency through the API', () => {
  it('puts the lab on paper, tells everyone without patient data, and serves the packet to responders only', async () => {
    const plan = testPlan();
    plan.programId = programId;
    expect((await api('POST', '', lead, plan)).status).toBe(201);
    const declaredAt = Date.now();
    const declared = await api('POST', `/${programId}/emergencies`, oncall, {
      departments: ['LAB'],
      reason: 'lab analyzers cannot reach the new EMR',
    });
    expect(declared.status, JSON.stringify(declared.body)).toBe(200);
    const view = declared.body as unknown as EmergencyView;
    // The declaration answers once decided and recorded; its e-mail leaves from the mail queue after.
    expect(view.timeline.map((t) => t.event)).toEqual(['declared', 'downtime-entered']);
    expect((await api('POST', `/${programId}/emergencies`, lead, { departments: ['LAB'], reason: 'same again' })).body).toMatchObject({
      emergency: 1,
      departments: ['LAB'],
    });

    // Everyone on the emergency list and leadership: the lead, the on-call, the three leaders.
    const mails = await stack.smtp.waitFor((m) => m.filter((x) => x.subject.includes('EMERGENCY')).length >= 5, 30_000);
    const emergencyMails = mails.filter((x) => x.subject.includes('EMERGENCY'));
    await expect
      .poll(
        async () => ((await api('GET', `/${programId}/emergency`, viewer)).body as unknown as EmergencyView).timeline.map((t) => t.event),
        { timeout: 30_000 },
      )
      .toEqual(['declared', 'downtime-entered', 'notified']);
    expect(emergencyMails.flatMap((m) => m.to).sort()).toEqual(
      ['p-cmo-01', 'p-itdir-01', 'p-lead-01', 'p-oncall-01', 'p-vp-01'].map((id) => `${id}@hospital.test`),
    );
    console.info(
      `e2e: emergency declared to first e-mail in the SMTP server: ${Math.min(...emergencyMails.map((m) => m.receivedAt)) - declaredAt} ms`,
    );

    const packet = await api('GET', `/${programId}/emergencies/1/packets/LAB`, lead);
    expect(packet.status).toBe(200);
    expect(packet.headers.get('content-disposition')).toMatch(/^attachment;/);
    const census = (packet.body.content as { census: { name: string; patientId: string; mrn: string }[] }).census;
    expect(census.length).toBeGreaterThanOrEqual(6);
    expect((await api('GET', `/${programId}/emergencies/1/packets/LAB`, viewer)).status).toBe(403);
    // The same packet as a page to print, in the reader's language: the census, then the blank forms.
    const printed = await fetch(`${stack.url}/v1/programs/${programId}/emergencies/1/packets/LAB/print`, {
      headers: { ...lead, 'accept-language': 'zh-CN' },
    });
    expect(printed.headers.get('content-type')).toMatch(/^text\/html/);
    const page = await printed.text();
    expect(page).toContain('<html lang="zh-CN">');
    expect(page).toContain(`在院患者（${census.length} 人）`);
    expect(page).toContain('给药执行记录单');
    expect(page).toContain(census[0]!.mrn);
    expect((await fetch(`${stack.url}/v1/programs/${programId}/emergencies/1/packets/LAB/print`, { headers: viewer })).status).toBe(403);
    // The download is in the audit trail under the lead's name, naming the packet and no patient.
    const trail = await stack.db.pool.query<{ actor: string; target: Record<string, string> }>(
      `SELECT actor, target FROM audit_log WHERE action LIKE '%/packets/{department}%' AND result = 'downloaded' ORDER BY seq`,
    );
    // Both downloads, the packet and its printable page.
    expect(trail.rows).toEqual([
      { actor: expect.any(String), target: { programId, emergency: '1', department: 'LAB' } },
      { actor: expect.any(String), target: { programId, emergency: '1', department: 'LAB' } },
    ]);

    // No name, patient id or MRN of anyone in the packet appears in any e-mail golive sent.
    await new Promise((r) => setTimeout(r, 1000));
    const everything = stack.smtp.messages.map((m) => `${m.subject}\n${m.text}\n${m.html}\n${m.raw}`).join('\n');
    for (const p of census) {
      expect(everything).not.toContain(p.name);
      expect(everything).not.toContain(p.patientId);
      expect(everything).not.toContain(p.mrn);
    }

    expect((await api('POST', `/${programId}/emergency/restore`, oncall, { reason: 'interface engine restarted' })).status).toBe(200);
    expect((await api('POST', `/${programId}/emergency/backlog`, oncall, { department: 'LAB', paperRecords: 0 })).status).toBe(200);
    const early = await api('POST', `/${programId}/emergency/close`, oncall, { reconciliation: 'manual', reason: 'checked' });
    expect(early.status).toBe(403);
    const closed = await api('POST', `/${programId}/emergency/close`, lead, {
      reconciliation: 'manual',
      reason: 'ward clerks checked every paper record against the system',
    });
    expect(closed.status).toBe(200);
    const timeline = (await api('GET', `/${programId}/emergency`, viewer)).body as unknown as EmergencyView;
    expect(timeline.timeline.map((t) => t.event)).toEqual([
      'declared',
      'downtime-entered',
      'notified',
      'restored',
      'backlog 0',
      'backlog-cleared',
      'closed (manual reconciliation)',
    ]);
    expect(timeline.timeline.at(-1)!.sinceDeclaredMs).toBeGreaterThan(0);
    const status = (await api('GET', `/${programId}`, viewer)).body as unknown as ProgramStatus;
    expect(status.phase).toBe('readiness');
    // From the mail queue, after the answer: everyone told, once each.
    const allClear = await stack.smtp.waitFor((m) => m.filter((x) => x.subject.includes('all clear')).length >= 5);
    await new Promise((r) => setTimeout(r, 1000));
    expect(
      allClear
        .filter((x) => x.subject.includes('all clear'))
        .flatMap((m) => m.to)
        .sort(),
    ).toEqual(['p-cmo-01', 'p-itdir-01', 'p-lead-01', 'p-oncall-01', 'p-vp-01'].map((id) => `${id}@hospital.test`));
  });

  it('puts the whole hospital on paper (the default scope) at once, and its sev1 ladder e-mails the on-call', async () => {
    const plan = testPlan();
    plan.programId = `${programId}-all`;
    expect((await api('POST', '', lead, plan)).status).toBe(201);
    const declaredAt = Date.now();
    const declared = await api('POST', `/${plan.programId}/emergencies`, oncall, { reason: 'the new EMR is down for every ward' });
    const answeredMs = Date.now() - declaredAt;
    expect(declared.status, JSON.stringify(declared.body)).toBe(200);
    console.info(`e2e: whole-hospital emergency (${plan.departments.length} departments) answered in ${answeredMs} ms`);
    expect(answeredMs).toBeLessThan(20_000);
    expect((declared.body as unknown as EmergencyView).departments.sort()).toEqual(plan.departments.map((d) => d.code).sort());

    // The sev1 incident for every department: its first ladder e-mail, with an acknowledge link, reaches the on-call.
    const tag = `[golive SEV1] ${plan.programId}/`;
    const mails = await stack.smtp.waitFor(
      (m) => m.some((x) => x.subject.startsWith(tag) && x.to.includes('p-oncall-01@hospital.test') && x.text.includes('/ack/')),
      60_000,
    );
    const page = mails.find((x) => x.subject.startsWith(tag) && x.to.includes('p-oncall-01@hospital.test'))!;
    console.info(`e2e: whole-hospital emergency to the sev1 ladder's first e-mail: ${page.receivedAt - declaredAt} ms`);
    const incidents = await fetch(`${stack.url}/v1/incidents?programId=${plan.programId}`, { headers: viewer });
    const [incident] = ((await incidents.json()) as { incidents: { condition: string; severity: string; departments: string[] }[] })
      .incidents;
    expect(incident).toMatchObject({ condition: 'emergency-declared', severity: 'sev1' });
    expect(incident!.departments.sort()).toEqual(plan.departments.map((d) => d.code).sort());
  });

  it('raises an incident for two departments through the API: 202 at once and the first e-mail', async () => {
    const plan = testPlan();
    plan.programId = `${programId}-two`;
    expect((await api('POST', '', lead, plan)).status).toBe(201);
    const raisedAt = Date.now();
    const res = await fetch(`${stack.url}/v1/incidents`, {
      method: 'POST',
      headers: oncall,
      body: JSON.stringify({ programId: plan.programId, departments: ['LAB', 'RAD'], severity: 'sev2' }),
    });
    const body = (await res.json()) as { incidentId: string; deduplicated: boolean };
    expect(res.status, JSON.stringify(body)).toBe(202);
    expect(Date.now() - raisedAt).toBeLessThan(20_000);
    expect(body.deduplicated).toBe(false);
    const tag = `[golive SEV2] ${plan.programId}/`;
    const mails = await stack.smtp.waitFor(
      (m) => m.some((x) => x.subject.startsWith(tag) && x.to.includes('p-oncall-01@hospital.test')),
      60_000,
    );
    const page = mails.find((x) => x.subject.startsWith(tag) && x.to.includes('p-oncall-01@hospital.test'))!;
    expect(page.subject).toMatch(/LAB/);
    expect(page.subject).toMatch(/RAD/);
    expect(page.text).toContain('/ack/');
    console.info(`e2e: two-department incident raised to its first e-mail: ${page.receivedAt - raisedAt} ms`);
  });

  it('answers a declaration with SMTP down, and the sev1 page arrives once SMTP is back', async () => {
    const plan = testPlan();
    plan.programId = `${programId}-nosmtp`;
    expect((await api('POST', '', lead, plan)).status).toBe(201);
    stack.smtp.down(true);
    try {
      const declaredAt = Date.now();
      const declared = await api('POST', `/${plan.programId}/emergencies`, oncall, {
        departments: ['LAB', 'ICU'],
        reason: 'mail relay and EMR down together',
      });
      const answeredMs = Date.now() - declaredAt;
      console.info(`e2e: emergency with SMTP down answered in ${answeredMs} ms`);
      expect(declared.status, JSON.stringify(declared.body)).toBe(200);
      expect(answeredMs).toBeLessThan(5_000);
      expect((declared.body as unknown as EmergencyView).timeline.map((t) => t.event)).toEqual([
        'declared',
        'downtime-entered',
        'downtime-entered',
      ]);
      // Tried for 10 s, then shown failed; retried until SMTP is back.
      await expect
        .poll(
          async () =>
            ((await api('GET', `/${plan.programId}/emergency`, oncall)).body as unknown as EmergencyView).timeline.map((t) => t.event),
          { timeout: 30_000, interval: 500 },
        )
        .toEqual(['declared', 'downtime-entered', 'downtime-entered', 'notify-failed']);
    } finally {
      stack.smtp.down(false);
    }
    const tag = `[golive SEV1] ${plan.programId}/`;
    await stack.smtp.waitFor((m) => m.some((x) => x.subject.startsWith(tag) && x.to.includes('p-oncall-01@hospital.test')), 90_000);
  });
});
