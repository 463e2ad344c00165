import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { passingEvidence } from '../helpers/complete';
import { testPlan } from '../../domain/demo-plans';
import type { GateView } from '../../domain/rollout';
import { startStack, type TestStack } from '../helpers/stack';
import { uniqueSuffix } from '../helpers/temporal';

/**
 * Issue 14: a decision returns when it is decided. With the SMTP server down, a Go that closes
 * a gate is recorded (its gate_decision row and audit entries) and answered at once, well within
 * the API's 10 s accept bound; the gate-decided e-mails go out once SMTP is back, each once.
 * The real dev server, worker process, API, PostgreSQL and SMTP server.
 */
let stack: TestStack;
let lead: Record<string, string>;
let approvers: Record<string, string>[];
const programId = `smtp-${uniqueSuffix()}`;
const approverIds = ['p-vp-01', 'p-itdir-01', 'p-cmo-01'];

beforeAll(async () => {
  stack = await startStack('decision-smtp-down');
  lead = await stack.as(['lead'], 'p-lead-01');
  approvers = [];
  for (const id of approverIds) approvers.push(await stack.as(['leadership'], id));
});
afterAll(async () => {
  stack?.smtp.down(false);
  await stack?.stop();
});

describe('a gate decision with SMTP down', () => {
  // The decision is recorded (row, audit) and answered; its e-mails leave from the program's
  // mail queue afterwards. Before the queue, the answer waited on SMTP: 202 after the API's 30 s.
  it('answers a closing Go with 200 within about a second, and each gate-decided e-mail arrives once after SMTP is back', async () => {
    const plan = testPlan();
    plan.programId = programId;
    expect((await stack.programs('POST', '', lead, plan)).status).toBe(201);
    expect((await stack.programs('POST', `/${programId}/evidence`, lead, { evidence: passingEvidence() })).status).toBe(200);
    // The gate opens (and its e-mails go out) while SMTP is up; the first Go leaves it pending.
    expect((await stack.programs('POST', `/${programId}/gates/readiness/requests`, lead, {})).status).toBe(200);
    await stack.smtp.waitFor((m) => m.filter((x) => x.subject.includes(`${programId}: the readiness gate awaits`)).length === 3);
    expect((await stack.programs('POST', `/${programId}/gates/readiness/decisions`, approvers[0]!, { decision: 'go' })).status).toBe(200);

    stack.smtp.down(true);
    const startedAt = performance.now();
    const closing = await stack.programs('POST', `/${programId}/gates/readiness/decisions`, approvers[1]!, {
      decision: 'go',
      comment: 'evidence reviewed',
    });
    const latencyMs = Math.round(performance.now() - startedAt);
    console.info(`e2e: closing Go with SMTP down answered ${closing.status} in ${latencyMs} ms`);

    // Recorded durably before the answer, whatever it was.
    const rows = await stack.db.pool.query(
      `SELECT approver_id FROM gate_decision WHERE program_id = $1 AND gate_id = 'readiness' ORDER BY id`,
      [programId],
    );
    expect(rows.rows.map((r) => r.approver_id)).toEqual(['p-vp-01', 'p-itdir-01']);
    const closed = await stack.db.pool.query(
      `SELECT count(*)::int AS n FROM audit_log WHERE target->>'programId' = $1 AND action = 'gate.closed'`,
      [programId],
    );
    expect(closed.rows[0].n).toBe(1);

    // SMTP back: every approver hears of the decision, once each.
    stack.smtp.down(false);
    const subject = `${programId}: the readiness gate decided go`;
    await stack.smtp.waitFor((m) => m.filter((x) => x.subject.includes(subject)).length >= 3, 120_000);
    await new Promise((r) => setTimeout(r, 3_000));
    const perRecipient: Record<string, number> = {};
    for (const m of stack.smtp.messages.filter((x) => x.subject.includes(subject)))
      for (const to of m.to) perRecipient[to] = (perRecipient[to] ?? 0) + 1;
    expect(perRecipient).toEqual(Object.fromEntries(approverIds.map((id) => [`${id}@hospital.test`, 1])));

    // Last, so that the e-mails above are checked even while the answer is still slow.
    expect(closing.status, JSON.stringify(closing.body)).toBe(200);
    expect((closing.body as unknown as GateView).status).toBe('go');
    // "About a second" on a busy 2-core machine; the accept bound is 10 s.
    expect(latencyMs).toBeLessThan(3_000);
  });
});
