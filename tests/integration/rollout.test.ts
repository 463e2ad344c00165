import { uniqueSuffix } from '../helpers/temporal';
import { passingEvidence } from '../helpers/complete';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testPlan } from '../../domain/demo-plans';
import type { ProgramStatus } from '../../domain/rollout';
import { startStack, type TestStack } from '../helpers/stack';

/**
 * A small plan driven through the API to completed on the real dev server, with the real
 * worker process, PostgreSQL and SMTP: what a cutover lead and leadership do, in seconds.
 */
let stack: TestStack;
let lead: Record<string, string>;
let approvers: Record<string, string>[];
let viewer: Record<string, string>;
const programId = `e2e-${uniqueSuffix()}`;

beforeAll(async () => {
  stack = await startStack('rollout');
  lead = await stack.as(['lead']);
  viewer = await stack.as(['viewer']);
  approvers = [
    await stack.as(['leadership'], 'p-vp-01'),
    await stack.as(['leadership'], 'p-itdir-01'),
    await stack.as(['leadership'], 'p-cmo-01'),
  ];
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
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};
const status = async () => (await api('GET', `/${programId}`, viewer)).body as unknown as ProgramStatus;
async function until(predicate: (s: ProgramStatus) => boolean) {
  await expect.poll(async () => predicate(await status()), { timeout: 60_000, interval: 250 }).toBe(true);
}
async function evidence() {
  const res = await api('POST', `/${programId}/evidence`, lead, { evidence: passingEvidence() });
  expect(res.status).toBe(200);
}
async function passGate(gate: string, who = approvers.slice(0, 2)) {
  await evidence();
  const opened = await api('POST', `/${programId}/gates/${gate}/requests`, lead, {});
  expect(opened.status, JSON.stringify(opened.body)).toBe(200);
  for (const a of who)
    expect((await api('POST', `/${programId}/gates/${gate}/decisions`, a, { decision: 'go', comment: 'evidence reviewed' })).status).toBe(
      200,
    );
  expect((await status()).gates.find((g) => g.gate === gate)!.status).toBe('go');
}

describe('phased rollout through the API on the real dev server', () => {
  it('takes a 3-wave, 10-department plan from readiness to completed, and the audit chain verifies', async () => {
    const plan = testPlan();
    plan.programId = programId;
    for (const w of plan.waves) w.minimumDuration = 'PT1S';
    plan.parallelRun = { minimumDuration: 'PT1S' };
    const created = await api('POST', '', lead, plan);
    expect(created.status).toBe(201);
    expect((await api('POST', '', lead, plan)).status).toBe(200);

    // Wrong order: a 409 that says where the program is and what is allowed now.
    const early = await api('POST', `/${programId}/waves/1/start`, lead, {});
    expect(early.status).toBe(409);
    expect(early.body).toMatchObject({
      error: 'InvalidState',
      phase: 'readiness',
      activeWave: null,
      allowedActions: expect.arrayContaining(['record-evidence', 'request-gate:readiness']),
    });

    await passGate('readiness');
    for (const wave of [1, 2, 3]) {
      expect((await api('POST', `/${programId}/waves/${wave}/start`, lead, {})).status).toBe(200);
      await until((s) => s.waves[wave - 1]!.status === 'live');
      await new Promise((r) => setTimeout(r, 1100));
      if (wave === 1) {
        const tooEarly = await api('POST', `/${programId}/waves/3/start`, lead, {});
        expect(tooEarly.status).toBe(409);
        // Someone with the leadership role who is not a named approver is refused at once.
        await evidence();
        await api('POST', `/${programId}/gates/exit-1/requests`, lead, {});
        const outsider = await api('POST', `/${programId}/gates/exit-1/decisions`, await stack.as(['leadership']), { decision: 'go' });
        expect(outsider.status).toBe(403);
        expect(String(outsider.body.message)).toMatch(/^rejected: p-test-[0-9a-f]+ is not an approver of gate exit-1$/);
        for (const a of approvers.slice(0, 2))
          expect((await api('POST', `/${programId}/gates/exit-1/decisions`, a, { decision: 'go' })).status).toBe(200);
      } else {
        await passGate(`exit-${wave}`);
      }
    }
    await passGate('final', approvers);
    const done = await api('POST', `/${programId}/complete`, lead, { comment: 'legacy HIS read-only from today' });
    expect(done.status).toBe(200);
    const final = await status();
    expect(final.phase).toBe('completed');
    expect(final.departments.map((d) => d.state)).toEqual(Array(10).fill('cut-over'));
    // The workflow ends once its last e-mails (the final gate's) have left the mail queue.
    await expect
      .poll(async () => (await stack.deps.temporal.workflow.getHandle(`program:${programId}`).describe()).status.name, { timeout: 30_000 })
      .toBe('COMPLETED');
    // The same plan again does not start the finished program over from readiness.
    const again = await api('POST', '', lead, plan);
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ error: 'program_finished', programId, status: 'completed' });
    expect(String(again.body.message)).toContain(`program ${programId} has finished (completed)`);
    expect((await status()).phase).toBe('completed');
    // A change asked of the finished program is refused as such, not as an unknown one.
    const late = await api('POST', `/${programId}/waves/1/start`, lead, {});
    expect(late.status).toBe(409);
    expect(late.body).toMatchObject({ error: 'program_finished', programId });
    expect((await api('POST', `/no-such-program/waves/1/start`, lead, {})).status).toBe(404);

    const gate = await api('GET', `/${programId}/gates/readiness`, viewer);
    const recorded = gate.body.recordedDecisions as { approverId: string; evidenceHash: string; evidence: { criteria: unknown[] } }[];
    expect(recorded.map((d) => d.approverId)).toEqual(['p-vp-01', 'p-itdir-01']);
    expect(recorded.every((d) => /^[0-9a-f]{64}$/.test(d.evidenceHash) && d.evidence.criteria.length === 5)).toBe(true);

    const verify = await fetch(`${stack.url}/v1/audit/verify`, { headers: lead });
    expect(await verify.json()).toMatchObject({ ok: true });
    const trail = (await (await fetch(`${stack.url}/v1/audit?target=${programId}&limit=500`, { headers: lead })).json()) as {
      entries: { action: string; actor: string }[];
    };
    const actions = trail.entries.map((e) => e.action);
    expect(actions).toContain('POST /v1/programs/{programId}/gates/{gate}/decisions');
    expect(actions.filter((a) => a === 'department.live')).toHaveLength(10);
    expect(trail.entries.find((e) => e.action === 'program.completed')!.actor).toMatch(/^p-test-/);
  });

  it('shows program and department workflows under readable ids with search attributes', async () => {
    const client = stack.deps.temporal;
    await expect
      .poll(
        async () => {
          const ids: string[] = [];
          for await (const wf of client.workflow.list({ query: `GoliveProgram = '${programId}'` })) ids.push(wf.workflowId);
          return ids.sort();
        },
        { timeout: 20_000, interval: 500 },
      )
      .toEqual(
        [
          `program:${programId}`,
          `parallel-run:${programId}`,
          ...testPlan().departments.map((d) => `golive:${programId}:${d.code}:1`),
        ].sort(),
      );
    const icu: string[] = [];
    for await (const wf of client.workflow.list({
      query: `GoliveProgram = '${programId}' AND GoliveDepartment = 'ICU' AND GoliveWave = 3`,
    }))
      icu.push(wf.workflowId);
    expect(icu).toEqual([`golive:${programId}:ICU:1`]);
    const completed: string[] = [];
    for await (const wf of client.workflow.list({ query: `GolivePhase = 'completed' AND GoliveProgram = '${programId}'` }))
      completed.push(wf.workflowId);
    expect(completed).toEqual([`program:${programId}`]);
  });
});
