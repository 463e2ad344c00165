import { uniqueSuffix } from '../helpers/temporal';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testPlan } from '../../domain/demo-plans';
import type { ProgramStatus } from '../../domain/rollout';
import { startStack, type TestStack } from '../helpers/stack';

/**
 * A failed go-live step on the real dev server raises an incident; the on-call's e-mail reaches
 * a real SMTP server with working links; acknowledging through the link, with identity, stops
 * the climb. The time from the failure to the e-mail is measured.
 */
let stack: TestStack;
let lead: Record<string, string>;
let oncall: Record<string, string>;
const programId = `esc-${uniqueSuffix()}`;

beforeAll(async () => {
  stack = await startStack('escalation');
  lead = await stack.as(['lead'], 'p-lead-01');
  oncall = await stack.as(['oncall'], 'p-oncall-01');
  for (const id of ['p-vp-01', 'p-itdir-01', 'p-cmo-01']) await stack.as(['leadership'], id);
});
afterAll(async () => {
  await stack?.stop();
});

const call = async (method: string, path: string, headers: Record<string, string>, body?: unknown) => {
  const res = await fetch(`${stack.url}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, text: await res.text() };
};
const json = async (method: string, path: string, headers: Record<string, string>, body?: unknown) => {
  const r = await call(method, path, headers, body);
  return { status: r.status, body: JSON.parse(r.text) as Record<string, unknown> };
};

describe('escalation end to end', () => {
  it('pages the on-call for a failed step; the link acknowledges only with identity, and the climb stops', async () => {
    const plan = testPlan();
    plan.programId = programId;
    plan.adapters = [{ id: 'sim', kind: 'simulated', failSteps: [{ department: 'LAB', step: 'switch-analyzer-feed', mode: 'reject' }] }];
    expect((await json('POST', '/v1/programs', lead, plan)).status).toBe(201);
    const training = Object.fromEntries(plan.departments.map((d) => [d.code, { examined: 5, passed: 5 }]));
    await json('POST', `/v1/programs/${programId}/evidence`, lead, {
      evidence: {
        uat: { severeTotal: 1, severeFixed: 1, ordinaryTotal: 1, ordinaryFixed: 1 },
        training,
        backup: { takenAt: new Date().toISOString() },
        migration: { verified: true },
      },
    });
    await json('POST', `/v1/programs/${programId}/gates/readiness/requests`, lead, {});
    for (const id of ['p-vp-01', 'p-itdir-01']) {
      const approver = await stack.as(['leadership'], id);
      expect((await json('POST', `/v1/programs/${programId}/gates/readiness/decisions`, approver, { decision: 'go' })).status).toBe(200);
    }
    expect((await json('POST', `/v1/programs/${programId}/waves/1/start`, lead, {})).status).toBe(200);

    const mails = await stack.smtp.waitFor(
      (m) => m.some((x) => x.to.includes('p-oncall-01@hospital.test') && x.subject.startsWith('[golive SEV2]') && x.text.includes('/ack/')),
      60_000,
    );
    const page = mails.find((x) => x.to.includes('p-oncall-01@hospital.test') && x.text.includes('/ack/'))!;
    const status = (await json('GET', `/v1/programs/${programId}`, lead)).body as unknown as ProgramStatus;
    const failedAt = Date.parse(status.departments.find((d) => d.code === 'LAB')!.failure!.at);
    console.info(`e2e: failed go-live step to the on-call's e-mail in the SMTP server: ${page.receivedAt - failedAt} ms`);
    expect(page.text).toContain(programId);
    expect(page.text).toContain('LAB');

    const ackPath = new URL(/https?:\/\/\S+\/ack\/[A-Za-z0-9_-]{43}/.exec(page.text)![0]).pathname;
    const incidentPath = new URL(/https?:\/\/\S+\/incidents\/[0-9a-f-]{36}/.exec(page.text)![0]).pathname;
    // A mail scanner following the link changes nothing: the page asks who you are.
    const scanned = await call('GET', ackPath, {});
    expect(scanned.status).toBe(200);
    expect(scanned.text).toContain('golive command center');
    expect((await call('POST', ackPath, {})).status).toBe(401);
    const incidentId = incidentPath.split('/').pop()!;
    expect(((await json('GET', `/v1/incidents/${incidentId}`, lead)).body as { status: string }).status).toBe('open');

    const ack = await json('POST', ackPath, oncall);
    expect(ack.status).toBe(200);
    expect(ack.body).toMatchObject({ personId: 'p-oncall-01' });
    await expect
      .poll(async () => ((await json('GET', `/v1/incidents/${incidentId}`, lead)).body as { status: string }).status, { timeout: 10_000 })
      .toBe('acknowledged');
    // Single use.
    expect((await call('POST', ackPath, oncall)).status).toBe(410);
    const detail = (await json('GET', `/v1/incidents/${incidentId}`, lead)).body as { timeline: { kind: string }[] };
    const kinds = detail.timeline.map((t) => t.kind);
    expect(kinds).toContain('acknowledged');
    expect(kinds).not.toContain('escalated');
    // The Web UI's program filter finds the incident beside the program's other workflows.
    await expect
      .poll(
        async () => {
          const ids: string[] = [];
          for await (const wf of stack.deps.temporal.workflow.list({
            query: `GoliveProgram = '${programId}' AND GoliveDepartment = 'LAB'`,
          }))
            ids.push(wf.workflowId);
          return ids.filter((id) => id.startsWith('incident:'));
        },
        { timeout: 15_000 },
      )
      .toHaveLength(1);
  });

  it('says queued on the timeline while SMTP refuses, and delivered once SMTP accepts the e-mail', async () => {
    const plan = testPlan();
    plan.programId = `${programId}-smtp`;
    expect((await json('POST', '/v1/programs', lead, plan)).status).toBe(201);
    stack.smtp.down(true);
    let incidentId: string;
    const onCall = async () =>
      ((await json('GET', `/v1/incidents/${incidentId}`, lead)).body as { timeline: { kind: string; personId: string | null }[] }).timeline
        .filter((t) => t.personId === 'p-oncall-01')
        .map((t) => t.kind);
    try {
      const raised = await json('POST', '/v1/incidents', oncall, {
        programId: plan.programId,
        departments: ['LAB', 'ICU'],
        severity: 'sev2',
      });
      expect(raised.status, JSON.stringify(raised.body)).toBe(202);
      incidentId = (raised.body as { incidentId: string }).incidentId;
      // SMTP has answered 421 at least once: the page is queued, not delivered.
      await expect
        .poll(
          async () =>
            (
              await stack.db.pool.query(
                `SELECT count(*)::int AS n FROM email_outbox WHERE recipient = 'p-oncall-01@hospital.test' AND subject LIKE $1 AND last_error IS NOT NULL`,
                [`%${plan.programId}%`],
              )
            ).rows[0].n,
          { timeout: 30_000 },
        )
        .toBe(1);
      expect(await onCall()).toEqual(['queued']);
    } finally {
      stack.smtp.down(false);
    }
    await expect.poll(onCall, { timeout: 60_000, interval: 500 }).toEqual(['queued', 'delivered']);
    expect(
      stack.smtp.messages.filter((m) => m.to.includes('p-oncall-01@hospital.test') && m.subject.includes(plan.programId)),
    ).toHaveLength(1);
  });
});
